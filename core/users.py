"""Users, passwords, roles and API tokens: plain functions taking a session."""

import hashlib
import secrets

from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from core.errors import Conflict, NotFound, ValidationError
from core.models import ROLES, ApiToken, User
from core.text import unstorable

TOKEN_PREFIX = "cpt_"


def _check_roles(roles):
    unknown = sorted(set(roles) - set(ROLES))
    if unknown:
        roles = ", ".join(ROLES)
        raise ValidationError("unknown role", fields={"roles": [
            f"Unknown role {r!r}: the roles are {roles}." for r in unknown]})
    return ",".join(role for role in ROLES if role in roles)


LOGIN_LENGTH, NAME_LENGTH, PASSWORD_LENGTH = 64, 128, 1024


def _text(problems, field, value, max_length):
    """Return ``value`` stripped, recording in ``problems`` why it is unacceptable, if it is."""
    value = (value or "").strip()
    if not value:
        problems[field] = ["Required."]
    elif len(value) > max_length:
        problems[field] = [f"At most {max_length} characters."]
    elif why := unstorable(value):
        problems[field] = [why]
    return value


def _check_password(password):
    if not password or len(password) < 8 or len(password) > PASSWORD_LENGTH:
        raise ValidationError(
            "unacceptable password",
            fields={"password": [f"Between 8 and {PASSWORD_LENGTH} characters."]},
        )


def create_user(session, login, name, password, roles=()):
    """Create and return a user; the login must be unused and the password 8+ characters."""
    problems = {}
    login = _text(problems, "login", login, LOGIN_LENGTH)
    name = _text(problems, "name", name, NAME_LENGTH)
    if problems:
        raise ValidationError("invalid user", fields=problems)
    if session.scalar(select(User.id).where(User.login == login)) is not None:
        raise ValidationError("login taken", fields={"login": [f"{login!r} is already taken."]})
    _check_password(password)
    user = User(
        login=login,
        name=name,
        password_hash=generate_password_hash(password),
        roles=_check_roles(roles),
        active=True,
    )
    session.add(user)
    session.flush()
    return user


def update_user(session, user, name=None, roles=None, active=None, password=None):
    """Change a user's name, roles, active flag or password (each only when given).

    Taking the admin role from the last active admin, or deactivating them, is refused (409).
    """
    if name is not None:
        problems = {}
        name = _text(problems, "name", name, NAME_LENGTH)
        if problems:
            raise ValidationError("invalid name", fields=problems)
        user.name = name
    new_roles = _check_roles(roles) if roles is not None else user.roles
    new_active = active if active is not None else user.active
    stays_admin = new_active and "admin" in new_roles.split(",")
    if user.active and "admin" in user.role_set and not stays_admin:
        _keep_an_admin(session, user)
    user.roles, user.active = new_roles, new_active
    if password:
        _check_password(password)
        user.password_hash = generate_password_hash(password)
    session.flush()
    return user


def list_users(session):
    """Every user, by login."""
    return session.scalars(select(User).order_by(User.login)).all()


def list_tokens(session):
    """Every API token, newest first, with its user."""
    return session.scalars(select(ApiToken).order_by(ApiToken.id.desc())).all()


def _keep_an_admin(session, user):
    """Refuse to take away the last active admin: nobody could manage users and modules then.

    The active admins' rows are locked (in id order, so two such changes queue instead of
    deadlocking) before counting, so two admins demoting each other at once cannot both pass.
    """
    admins = select(User.id).where(User.active.is_(True), User.roles.contains("admin"))
    locked = session.scalars(admins.order_by(User.id).with_for_update()).all()
    if not set(locked) - {user.id}:
        raise Conflict(f"{user.login} is the last active admin: make someone else admin first")


def get_user(session, user_id):
    """Return the user with id ``user_id`` or raise NotFound."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user with id {user_id}")
    return user


def find_user(session, login):
    """Return the user with this login or raise NotFound."""
    user = session.scalar(select(User).where(User.login == login))
    if user is None:
        raise NotFound(f"no user with login {login!r}")
    return user


def authenticate(session, login, password):
    """Return the active user with this login and password, or None."""
    user = session.scalar(select(User).where(User.login == login))
    if user is None or not user.active or not check_password_hash(user.password_hash, password):
        return None
    return user


def _digest(secret):
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(session, user, name):
    """Create an API token for ``user``; return ``(token, secret)``.

    The secret is shown once: only its SHA-256 digest is stored (it is random and long, so a
    slow password hash would add nothing).
    """
    problems = {}
    name = _text(problems, "name", name, NAME_LENGTH)
    if problems:
        raise ValidationError("invalid token name", fields=problems)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user, name=name, digest=_digest(secret), prefix=secret[:10], revoked=False
    )
    session.add(token)
    session.flush()
    return token, secret


def user_for_token(session, secret):
    """Return the active user owning the unrevoked token ``secret``, or None."""
    if not secret or not secret.startswith(TOKEN_PREFIX):
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.digest == _digest(secret)))
    if token is None or token.revoked or not token.user.active:
        return None
    return token.user


def revoke_token(session, token_id):
    """Revoke token ``token_id``; a revoked token is refused from then on."""
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(f"no API token with id {token_id}")
    if token.revoked:
        raise Conflict("this token is already revoked")
    token.revoked = True
    session.flush()
