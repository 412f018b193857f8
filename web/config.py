"""Configuration read from the environment, with defaults that run on a laptop."""

import os
import secrets
import tempfile
from pathlib import Path

from core.errors import ValidationError


def _secret_key(instance_path):
    """The key signing session cookies: COMPTOIR_SECRET_KEY, or one kept in the instance folder.

    Every worker process must sign with the same key, so the generated key is written once to
    a file readable by its owner only.  The key is written to a file of its own first and then
    linked into place, which fails if the file exists: two workers starting together agree on
    one key, and neither reads a file the other has not finished writing.
    """
    if os.environ.get("COMPTOIR_SECRET_KEY"):
        return os.environ["COMPTOIR_SECRET_KEY"]
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, draft = tempfile.mkstemp(dir=path.parent, prefix=".secret_key.")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                file.write(secrets.token_hex(32))
            os.link(draft, path)
        except FileExistsError:
            pass  # another worker's key is in place
        finally:
            os.unlink(draft)
    return path.read_text(encoding="utf-8").strip()


def parse_module_paths(text):
    """Parse ``name=import.path,name2=import.path2`` into a dict (empty text gives {})."""
    found = {}
    for item in (text or "").split(","):
        name, sep, path = item.strip().partition("=")
        if not item.strip():
            continue
        if not (sep and name.strip() and path.strip()):
            raise ValidationError(
                f"COMPTOIR_EXTRA_MODULES: {item.strip()!r} is not of the form name=import.path"
            )
        found[name.strip()] = path.strip()
    return found


def instance_path(overrides):
    """The instance folder (SQLite file, secret key): an absolute path, or None for Flask's own."""
    chosen = overrides.get("INSTANCE_PATH") or os.environ.get("COMPTOIR_INSTANCE_PATH")
    return str(Path(chosen).resolve()) if chosen else None


def from_environment(instance_path, overrides):
    """Build the configuration from ``COMPTOIR_*`` environment variables.

    - ``COMPTOIR_DATABASE_URL``: SQLAlchemy URL; default an SQLite file in the instance folder.
    - ``COMPTOIR_DATABASE_SCHEMA``: PostgreSQL schema to work in (default: the user's default).
    - ``COMPTOIR_SECRET_KEY``: session signing key (default: generated once, kept on disk).
    - ``COMPTOIR_EXTRA_MODULES``: ``name=import.path`` pairs offering modules that are not
      installed as packages (a development checkout, a test suite).
    - ``COMPTOIR_COMPANY_NAME``, ``COMPTOIR_COMPANY_ADDRESS``: who issues the printed documents
      (default "Comptoir", no address; separate address lines with newlines).
    - ``COMPTOIR_MAIL_SERVER``: the SMTP server mail goes out through, ``host:port`` (default
      ``localhost:25``); ``COMPTOIR_MAIL_SENDER``: the From address (default
      ``comptoir@localhost``).
    - ``COMPTOIR_REDIS_URL``: when set (``redis://host:6379/0``), background jobs such as sending
      mail run on RQ workers reading this Redis; otherwise they run inline and from the CLI.
      ``COMPTOIR_REDIS_QUEUE``: the RQ queue's name (default ``comptoir``).

    Settings present in ``overrides`` are not looked up (no key file is made when a key is given).
    """
    default_url = "sqlite:///" + str(Path(instance_path) / "comptoir.sqlite")
    return {
        "SECRET_KEY": overrides.get("SECRET_KEY") or _secret_key(instance_path),
        "COMPTOIR_DATABASE_URL": os.environ.get("COMPTOIR_DATABASE_URL") or default_url,
        "COMPTOIR_DATABASE_SCHEMA": os.environ.get("COMPTOIR_DATABASE_SCHEMA") or None,
        "COMPTOIR_EXTRA_MODULES": parse_module_paths(os.environ.get("COMPTOIR_EXTRA_MODULES")),
        "COMPTOIR_COMPANY_NAME": os.environ.get("COMPTOIR_COMPANY_NAME") or "Comptoir",
        "COMPTOIR_COMPANY_ADDRESS": os.environ.get("COMPTOIR_COMPANY_ADDRESS", ""),
        "COMPTOIR_MAIL_SERVER": os.environ.get("COMPTOIR_MAIL_SERVER") or "localhost:25",
        "COMPTOIR_MAIL_SENDER": os.environ.get("COMPTOIR_MAIL_SENDER") or "comptoir@localhost",
        "COMPTOIR_REDIS_URL": os.environ.get("COMPTOIR_REDIS_URL") or None,
        "COMPTOIR_REDIS_QUEUE": os.environ.get("COMPTOIR_REDIS_QUEUE") or "comptoir",
    }


# Settings every app gets, whatever the environment says.
FIXED = {
    "API_TITLE": "Comptoir",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
    "WTF_CSRF_CHECK_DEFAULT": False,  # web.auth checks CSRF itself, API calls (tokens) aside
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
}
