"""The comptoir command line, run against a test database."""

import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path
from threading import Event
from urllib.request import urlopen

import pytest
from click.testing import CliRunner
from flask.cli import ScriptInfo
from sqlalchemy import inspect

from core import modules
from web import create_app
from web.cli import main


@pytest.fixture
def fresh_app(comptoir_db, comptoir_modules, tmp_path):
    """An application on an empty database (not initialised)."""
    app = create_app({**comptoir_db, "COMPTOIR_EXTRA_MODULES": comptoir_modules,
                      "SECRET_KEY": "x", "INSTANCE_PATH": str(tmp_path / "instance")})
    yield app
    app.extensions["comptoir"].engine.dispose()


def run(app, *args, input=None):
    result = CliRunner().invoke(main, list(args), obj=ScriptInfo(create_app=lambda: app),
                                input=input)
    return result


def tables(app):
    with app.extensions["comptoir"].engine.connect() as connection:
        return set(inspect(connection).get_table_names())


def test_init_bare_creates_the_kernel_alone(fresh_app):
    result = run(fresh_app, "init", "--bare")
    assert result.exit_code == 0, result.output
    assert "Enabled modules: none" in result.output
    assert {"core_module", "core_user", "core_api_token", "core_registry"} <= tables(fresh_app)
    assert "example_note" not in tables(fresh_app)


def test_init_enables_every_builtin_module_and_demo_data(fresh_app, monkeypatch):
    monkeypatch.setattr(modules, "builtin_modules", lambda registry: ["example"])
    result = run(fresh_app, "init", "--demo")
    assert result.exit_code == 0, result.output
    assert "Enabled: example" in result.output
    assert "example_note" in tables(fresh_app)
    assert run(fresh_app, "example-count").output.strip() == "1", "example's demo note"
    again = run(fresh_app, "init", "--demo")
    assert again.exit_code == 0 and run(fresh_app, "example-count").output.strip() == "1"


def test_builtin_modules_are_those_of_the_plugins_package(registry):
    assert modules.builtin_modules(registry) == [
        name for name, m in sorted(registry.installed.items())
        if m.import_path.startswith("plugins.")
    ]


def test_modules_list_enable_disable(app):
    result = run(app, "modules", "list")
    assert result.exit_code == 0
    assert result.output.split()[:4] == ["Module", "Version", "State", "Title"]
    line = next(line for line in result.output.splitlines() if line.startswith("example "))
    assert "not enabled" in line and "1.0.0" in line

    result = run(app, "modules", "enable", "chain_top", "--yes")
    assert result.exit_code == 0, result.output
    assert "Enabled: example, example_ext, chain_top" in result.output
    listed = run(app, "modules", "list").output
    assert re.search(r"^chain_top +1\.0\.0 +enabled ", listed, re.M)

    result = run(app, "modules", "disable", "example")
    assert result.exit_code == 1
    assert "cannot be disabled: chain_top, example_ext depend on it" in result.output
    assert "Traceback" not in result.output

    assert run(app, "modules", "disable", "chain_top").exit_code == 0


def test_modules_preview_names_the_winner(app):
    run(app, "modules", "enable", "example", "--yes")
    result = run(app, "modules", "preview", "example_ext")
    assert result.exit_code == 0
    assert "Enabling example_ext enables, in order: example_ext" in result.output
    assert ("comptoir_base_prices: example_ext answers first, before example "
            "(example_ext depends on example, so it is asked first)") in result.output


@pytest.mark.parametrize(("args", "message"), [
    (("modules", "enable", "ghost", "--yes"), "no module named 'ghost' is installed"),
    (("modules", "enable", "cycle_b", "--yes"), "dependency cycle: cycle_b -> cycle_a -> cycle_b"),
    (("modules", "enable", "needs_missing", "--yes"),
     "'needs_missing' depends on 'not_installed', which is not installed"),
    (("modules", "enable", "bad_migration", "--yes"), "nothing was changed"),
    (("modules", "disable", "example"), "module 'example' is not enabled"),
    (("modules", "upgrade", "example"), "not enabled or not loadable, nothing to upgrade: example"),
])
def test_errors_are_one_line_and_exit_1(app, args, message):
    result = run(app, *args)
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


def test_upgrade_commands_report_nothing_to_do(app):
    run(app, "modules", "enable", "example", "--yes")
    assert "Everything is up to date." in run(app, "upgrade").output
    assert "Everything is up to date." in run(app, "modules", "upgrade").output


def test_module_command_exists_only_while_enabled(make_app):
    assert run(make_app(), "example-count").exit_code == 2
    app = make_app(modules=["example"])
    assert run(app, "example-count").output.strip() == "0"


def test_users_and_tokens_from_the_command_line(app, client):
    result = run(app, "users", "create", "--login", "ops", "--name", "Ops", "--role", "admin",
                 input="longenough\nlongenough\n")
    assert result.exit_code == 0, result.output
    assert "Created user ops (roles: admin)" in result.output
    result = run(app, "tokens", "create", "--login", "ops", "--name", "cli")
    secret = result.output.strip().splitlines()[-1]
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).json[
        "login"] == "ops"
    refused = run(app, "users", "create", "--login", "ops", "--name", "Again",
                  input="short\nshort\n")
    assert refused.exit_code == 1
    assert "'ops' is already taken" in refused.output


def test_unreachable_database_is_a_clear_error(tmp_path):
    app = create_app({"COMPTOIR_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
                      "SECRET_KEY": "x", "INSTANCE_PATH": str(tmp_path)})
    result = run(app, "modules", "list")
    assert result.exit_code == 1
    assert "cannot use the database" in result.output
    assert "Traceback" not in result.output
    assert app.test_client().get("/health").status_code == 503
    response = app.test_client().get("/api/v1/me")
    assert response.status_code == 503
    assert response.json["message"].startswith("The database cannot be reached right now")


def test_commands_on_an_uninitialised_database_say_to_run_init(fresh_app):
    for args in (["modules", "list"], ["upgrade"], ["tokens", "create", "--login", "a",
                                                  "--name", "b"]):
        result = run(fresh_app, *args)
        assert result.exit_code == 1, args
        assert "the database is not initialised: run `comptoir init` first" in result.output


def test_bad_settings_are_reported_without_a_traceback(tmp_path, monkeypatch):
    monkeypatch.setenv("COMPTOIR_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("COMPTOIR_SECRET_KEY", "x")
    for name, value, message in [
        ("COMPTOIR_EXTRA_MODULES", "foo", "'foo' is not of the form name=import.path"),
        ("COMPTOIR_DATABASE_URL", "foo://x", "Comptoir cannot start"),
    ]:
        monkeypatch.setenv(name, value)
        result = CliRunner().invoke(main, ["modules", "list"])
        assert result.exit_code == 2, result.output
        assert message in result.output
        assert "Traceback" not in result.output
        monkeypatch.delenv(name)


def test_init_creates_the_instance_folder_when_a_key_is_given(tmp_path, monkeypatch):
    folder = tmp_path / "new" / "instance"
    monkeypatch.setenv("COMPTOIR_INSTANCE_PATH", str(folder))
    monkeypatch.setenv("COMPTOIR_SECRET_KEY", "given")
    monkeypatch.delenv("COMPTOIR_DATABASE_URL", raising=False)
    result = CliRunner().invoke(main, ["init", "--bare"])
    assert result.exit_code == 0, result.output
    assert (folder / "comptoir.sqlite").is_file()
    assert not (folder / "secret_key").exists()


def test_too_long_input_on_the_command_line_is_refused(app):
    result = run(app, "users", "create", "--login", "x" * 100, "--name", "X",
                 input="longenough\nlongenough\n")
    assert result.exit_code == 1
    assert "login: At most 64 characters." in result.output


def test_a_short_password_and_an_unknown_role_are_refused_in_sentences(app):
    short = run(app, "users", "create", "--login", "kim", "--name", "Kim",
                input="short\nshort\n")
    assert short.exit_code == 1
    assert "password: Between 8 and 1024 characters." in short.output
    boss = run(app, "users", "create", "--login", "kim", "--name", "Kim", "--role", "boss",
               input="longenough\nlongenough\n")
    assert boss.exit_code == 1
    assert "roles: Unknown role 'boss': the roles are" in boss.output


def test_an_undecodable_byte_on_the_command_line_is_refused(app):
    result = run(app, "users", "create", "--login", "bob\udcff", "--name", "Bob",
                 input="longenough\nlongenough\n")
    assert result.exit_code == 1
    assert "login: Must not contain an unpaired surrogate." in result.output


def test_routes_lists_what_the_enabled_modules_serve(make_app):
    app = make_app()
    assert "/example/" not in run(app, "routes").output
    modules.enable(app.extensions["comptoir"], "example")
    output = run(app, "routes").output
    for path in ("/example/", "/api/v1/example/notes", "/admin/modules"):
        assert path in output


def _serve(tmp_path, **options):
    """Start ``comptoir serve`` on a new database and a free port, once it answers; returns
    the process and the port.  ``options`` go to ``subprocess.Popen``."""
    command = str(Path(sys.executable).with_name("comptoir"))
    env = {**os.environ, "COMPTOIR_INSTANCE_PATH": str(tmp_path), "COMPTOIR_SECRET_KEY": "k",
           "COMPTOIR_DATABASE_URL": f"sqlite:///{tmp_path}/serve.sqlite"}
    subprocess.run([command, "init", "--bare"], env=env, check=True, capture_output=True)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    served = subprocess.Popen([command, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1",
                               "--outbox-every", "1"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, **options)
    if not _answers(port, attempts=300):  # gunicorn takes a few seconds to start
        served.kill()
        pytest.fail(f"the server did not answer: {served.communicate()[0]}")
    return served, port


def _answers(port, attempts=1):
    for _attempt in range(attempts):
        try:
            with urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as answer:
                return answer.status == 200
        except OSError:
            Event().wait(0.1)
    return False


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGHUP], ids=["term", "hangup"])
def test_serve_runs_the_server_and_the_sender_and_stops_both(tmp_path, stop):
    """``comptoir serve`` (what ``make run`` starts): gunicorn answers, the outbox sender runs
    beside it, and SIGTERM, or the terminal closing, stops them both."""
    served, port = _serve(tmp_path)
    served.send_signal(stop)
    assert served.wait(timeout=60) == 0, served.stdout.read()
    assert not _answers(port), "nothing listens any more"


def test_serve_started_with_nohup_outlives_the_terminal(tmp_path):
    served, port = _serve(tmp_path, preexec_fn=lambda: signal.signal(signal.SIGHUP,
                                                                       signal.SIG_IGN))
    try:
        served.send_signal(signal.SIGHUP)
        with pytest.raises(subprocess.TimeoutExpired):  # the hang-up stops nothing
            served.wait(timeout=5)
        assert _answers(port)
    finally:
        served.send_signal(signal.SIGTERM)
        assert served.wait(timeout=60) == 0, served.stdout.read()


def test_the_long_running_sender_does_not_retry_all_at_once(app):
    refused = run(app, "outbox", "send", "--every", "5", "--retry-waiting")
    assert refused.exit_code == 2 and "not with --every" in refused.output
