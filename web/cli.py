"""The ``comptoir`` command line: database set-up, modules, users, tokens, the mail outbox and
scaffolding."""

import contextlib
import functools
import logging
import signal
import subprocess
import sys
import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, NoAppException, ScriptInfo, with_appcontext
from sqlalchemy.exc import OperationalError

from core import modules, outbox, users
from core.errors import ComptoirError
from core.scaffold import scaffold_plugin
from web.app import create_app

logger = logging.getLogger(__name__)

# The columns of the listings, one format for the heading and the rows.
MODULE_ROW = "{:<20} {:<10} {:<36} {}"
OUTBOX_ROW = "{:>6} {:<9} {:>3} {:<16} {:<30} {}"


def _registry(initialised=True):
    """The module registry, refreshed; by default refuse to go on before ``comptoir init``."""
    registry = current_app.extensions["comptoir"]
    registry.refresh()
    if initialised and not registry.initialised:
        raise click.ClickException("the database is not initialised: run `comptoir init` first")
    return registry


def reports_errors(command):
    """Turn a ComptoirError, or an unreachable database, into a message and exit status 1."""

    @functools.wraps(command)
    def wrapped(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except OperationalError as error:
            raise click.ClickException(
                f"cannot use the database: {error.orig or error}".strip()
            ) from error
        except ComptoirError as error:
            details = "".join(
                f"\n  {name}: {', '.join(map(str, messages))}"
                for name, messages in error.fields.items()
                if isinstance(messages, list)
            )
            raise click.ClickException(error.message + details) from error

    return wrapped


def _create_app():
    try:
        return create_app()
    except Exception as exc:  # a bad setting: say which, without a traceback
        raise NoAppException(f"Comptoir cannot start: {exc}") from exc


def module_commands(registry, taken):
    """The commands of the enabled modules by name, first come (dependency order) first served.

    A name in ``taken`` (the kernel's) or offered by an earlier module is left out with a warning
    naming both, so a clash never stops the platform.
    """
    offered, found = {name: "the kernel" for name in taken}, {}
    for name in registry.enabled:
        try:
            answers = registry.installed[name].call("comptoir_cli_commands")
        except Exception as exc:  # a module's failing code must not take the command line down
            logger.error("the commands of module %s are left out: %s", name, exc)
            continue
        for commands in answers:
            for command in commands:
                if command.name in offered:
                    logger.warning("command %r of module %s is left out: %s offers it already",
                                   command.name, name, offered[command.name])
                    continue
                offered[command.name] = name
                found[command.name] = command
    return found


class ComptoirGroup(FlaskGroup):
    """Flask's command group, plus the commands of the modules enabled on the database."""

    def _module_commands(self, ctx):
        try:
            app = ctx.ensure_object(ScriptInfo).load_app()
        except NoAppException:
            return {}
        if not current_app or current_app._get_current_object() is not app:
            ctx.with_resource(app.app_context())  # as FlaskGroup does for the app's commands
        registry = app.extensions["comptoir"]
        try:
            registry.refresh()
        except OperationalError:
            return {}  # the kernel's commands say so when they need the database
        return module_commands(registry, set(self.commands))

    def get_command(self, ctx, name):
        return super().get_command(ctx, name) or self._module_commands(ctx).get(name)

    def list_commands(self, ctx):
        return sorted(set(super().list_commands(ctx)) | set(self._module_commands(ctx)))


main = ComptoirGroup(
    name="comptoir",
    create_app=_create_app,
    help="Comptoir: sales and marketing platform. Configure with COMPTOIR_* variables.",
)


@main.command("init")
@click.option("--bare", is_flag=True, help="The kernel alone: enable no built-in module.")
@click.option("--demo", is_flag=True, help="Load demo data (users, and each module's records).")
@with_appcontext
@reports_errors
def init_command(bare, demo):
    """Create the database with every built-in module enabled (safe to run again)."""
    registry = _registry(initialised=False)
    if demo and registry.initialised:
        click.echo("The database exists already: demo data is only loaded into a new one.")
    wanted = [] if bare else modules.builtin_modules(registry)
    newly = modules.initialise(registry, wanted, demo=demo)
    click.echo(f"Database ready: {registry.engine.url.render_as_string(hide_password=True)}")
    if newly:
        click.echo(f"Enabled: {', '.join(newly)}")
    click.echo(f"Enabled modules: {', '.join(registry.enabled) or 'none'}")


@main.command("upgrade")
@with_appcontext
@reports_errors
def upgrade_command():
    """Migrate the kernel and every enabled module to the installed versions."""
    done = modules.upgrade(_registry())
    click.echo(f"Upgraded: {', '.join(done)}" if done else "Everything is up to date.")


@main.group("modules")
def modules_group():
    """List, preview, enable, disable and upgrade modules on this database."""


@modules_group.command("list")
@with_appcontext
@reports_errors
def modules_list():
    """Installed modules and their state on this database."""
    registry = _registry()
    with registry.session_factory() as session:
        infos = modules.list_modules(registry, session)
        kernel_behind = modules.kernel_pending(session)
    if kernel_behind is None:
        click.echo("The kernel's revisions cannot be read against this database: `comptoir "
                   "upgrade` says why.")
    elif kernel_behind:
        click.echo(f"The kernel's tables lack {kernel_behind} revision(s): run `comptoir "
                   "upgrade`.")
    if not infos:
        click.echo("No module is installed.")
        return
    click.echo(MODULE_ROW.format("Module", "Version", "State", "Title"))
    for info in infos:
        if info.missing:
            state = "package missing" + (" (enabled)" if info.enabled else "")
        elif info.enabled and not info.loaded:
            state = "enabled, not loaded (see the log)"
        elif info.enabled:
            state = "enabled"
            if info.pending_revisions is None:
                state += " (migrations cannot be read)"
            elif info.needs_upgrade:
                state += (f" (upgrade from {info.recorded_version})"
                          if info.recorded_version != info.installed_version
                          else " (upgrade pending)")
        else:
            state = "not enabled"
        depends = f"  depends: {', '.join(info.depends)}" if info.depends else ""
        click.echo(MODULE_ROW.format(info.name, info.installed_version or "-", state,
                                     f"{info.title}{depends}"))


def _print_preview(preview):
    if preview.already_enabled:
        click.echo(f"{preview.module} is already enabled.")
        return
    click.echo(f"Enabling {preview.module} enables, in order: {', '.join(preview.to_enable)}")
    click.echo("Migrations to run:" if preview.migrations else "Migrations to run: none")
    for name, revisions in preview.migrations.items():
        for revision in revisions:
            click.echo(f"  {name}: {revision}")
    click.echo("Hooks implemented:")
    for name, hooks in preview.hooks.items():
        click.echo(f"  {name}: {', '.join(hooks) or 'none'}")
    if preview.clashes:
        click.echo("First-result hooks answered by several modules:")
        for clash in preview.clashes:
            click.echo(f"  {clash.hook}: {clash.winner} answers first, before "
                       f"{', '.join(clash.others)} ({clash.reason})")
    for problem in preview.problems:
        click.echo(f"Enabling would be refused: {problem}")


@modules_group.command("preview")
@click.argument("name")
@with_appcontext
@reports_errors
def modules_preview(name):
    """Say what enabling NAME would do, without doing it."""
    _print_preview(modules.preview(_registry(), name))


@modules_group.command("enable")
@click.argument("name")
@click.option("--yes", "-y", is_flag=True, help="Do not show the preview and ask first.")
@with_appcontext
@reports_errors
def modules_enable(name, yes):
    """Enable NAME and what it depends on, running their migrations."""
    registry = _registry()
    if not yes and sys.stdin.isatty():
        _print_preview(modules.preview(registry, name))
        click.confirm("Go ahead?", abort=True, default=True)
    newly = modules.enable(registry, name)
    click.echo(f"Enabled: {', '.join(newly)}" if newly else f"{name} was already enabled.")


@modules_group.command("disable")
@click.argument("name")
@with_appcontext
@reports_errors
def modules_disable(name):
    """Disable NAME; its data stays in the database."""
    modules.disable(_registry(), name)
    click.echo(f"Disabled: {name} (its data is kept)")


@modules_group.command("upgrade")
@click.argument("names", nargs=-1)
@with_appcontext
@reports_errors
def modules_upgrade(names):
    """Run pending migrations of NAMES (default: every enabled module)."""
    done = modules.upgrade(_registry(), list(names) or None)
    click.echo(f"Upgraded: {', '.join(done)}" if done else "Everything is up to date.")


@main.group("users")
def users_group():
    """Manage the people who log in."""


@users_group.command("create")
@click.option("--login", required=True)
@click.option("--name", required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--role", "roles", multiple=True, help="admin, sales, marketing or accounting")
@with_appcontext
@reports_errors
def users_create(login, name, password, roles):
    """Create a user who can log in."""
    with _registry().writing_session() as session, session.begin():
        user = users.create_user(session, login, name, password, roles)
        roles = ", ".join(sorted(user.role_set)) or "none"
        click.echo(f"Created user {user.login} (roles: {roles})")


@main.group("tokens")
def tokens_group():
    """Manage API tokens."""


@tokens_group.command("create")
@click.option("--login", required=True, help="The user the token acts as.")
@click.option("--name", required=True, help="A name to recognise the token by.")
@with_appcontext
@reports_errors
def tokens_create(login, name):
    """Create an API token and print its secret (shown this once)."""
    with _registry().writing_session() as session, session.begin():
        user = users.find_user(session, login)
        _token, secret = users.create_token(session, user, name)
    click.echo(secret)


@main.group("outbox")
def outbox_group():
    """Send and list the e-mail waiting in the outbox."""


@outbox_group.command("send")
@click.option("--retry-waiting", is_flag=True,
              help="Also retry now the messages waiting after a failed attempt.")
@click.option("--every", type=click.IntRange(min=1), metavar="SECONDS",
              help="Keep running: send what is due every SECONDS, until stopped (Ctrl-C).")
@with_appcontext
@reports_errors
def outbox_send(retry_waiting, every):
    """Send the queued e-mail that is due; exit status 1 while some stays queued (not counting
    what another sender is sending).  With --every, keep sending what falls due (retries
    included), as cron would."""
    registry = _registry()
    if every:
        if retry_waiting:
            raise click.UsageError("--retry-waiting sends at once what waits: not with --every, "
                                   "which waits for each message's next attempt")
        click.echo(f"Sending the outbox's due e-mail every {every} s; Ctrl-C stops.")
        try:
            while True:
                _send_due(registry)
                time.sleep(every)
        except KeyboardInterrupt:
            click.echo("Stopped.")
        return
    report = outbox.send_queued(registry.session_factory, current_app.config,
                                retry_waiting=retry_waiting)
    click.echo(f"Sent: {len(report.sent)}, failed: {len(report.failed)}")
    with registry.session_factory() as session:
        left, being_sent = outbox.queued_count(session)
    if being_sent:
        click.echo(f"{being_sent} message(s) being sent by another sender")
    if left:
        raise click.ClickException(f"{left} message(s) stay queued "
                                   "(see `comptoir outbox list`)")


def _send_due(registry):
    """One round of a long-running sender: send what is due and say what went.  A failure is
    reported and the sender goes on: the next round may find the database back."""
    try:
        report = outbox.send_queued(registry.session_factory, current_app.config)
    except Exception as error:  # whatever it is, the next round tries again
        click.echo(f"the outbox could not be sent now: {error}", err=True)
        return
    if report.sent or report.failed:
        click.echo(f"Sent: {len(report.sent)}, failed: {len(report.failed)}")


@outbox_group.command("list")
@click.option("--all", "everything", is_flag=True, help="Sent messages too, not only queued.")
@click.option("--limit", default=50, show_default=True, help="The newest messages shown.")
@with_appcontext
@reports_errors
def outbox_list(everything, limit):
    """The e-mail in the outbox, newest first: queued only, or --all."""
    with _registry().session_factory() as session:
        messages = outbox.list_messages(session, everything, limit)
    if not messages:
        click.echo("The outbox is empty." if everything else "No message is queued.")
        return
    click.echo(OUTBOX_ROW.format("Id", "Status", "Try", "When", "To", "Subject"))
    for message in messages:
        when = message.sent_at or message.next_attempt_at or message.created_at
        error = f"  last error: {message.last_error}" if message.last_error else ""
        click.echo(OUTBOX_ROW.format(message.id, message.status, message.attempts,
                                     f"{when:%Y-%m-%d %H:%M}", message.recipient,
                                     f"{message.subject}{error}"))


@main.command("serve")
@click.option("--bind", default="127.0.0.1:8000", show_default=True,
              help="The address and port to serve on.")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(min=1),
              help="gunicorn worker processes.")
@click.option("--outbox-every", default=60, show_default=True, type=click.IntRange(min=0),
              metavar="SECONDS", help="Send the outbox's due e-mail this often (0: never).")
@with_appcontext
@reports_errors
def serve(bind, workers, outbox_every):
    """Serve Comptoir with gunicorn and, beside it, send the e-mail that falls due (retries
    included); Ctrl-C, SIGTERM or closing the terminal stops both (not the terminal when
    started with nohup)."""
    registry = _registry()
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", str(workers),
                               "--bind", bind, "web:create_app()"])
    for stop in (signal.SIGTERM, signal.SIGHUP):  # SIGHUP: the terminal closed
        if signal.getsignal(stop) is not signal.SIG_IGN:  # ignored: started with nohup
            signal.signal(stop, _interrupt)
    try:
        with contextlib.suppress(KeyboardInterrupt):
            if not outbox_every:
                server.wait()
            while server.poll() is None:  # until stopped, or the server stops by itself
                _send_due(registry)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    server.wait(timeout=outbox_every)
    finally:
        server.terminate()
        code = server.wait()
    sys.exit(code if code > 0 else 0)


def _interrupt(_signal, _frame):
    raise KeyboardInterrupt


@main.command("new-plugin")
@click.argument("name")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@reports_errors
def new_plugin(name, directory):
    """Create an installable module package NAME in DIRECTORY (default ./comptoir-NAME)."""
    target = scaffold_plugin(name, directory)
    click.echo(f"Created {target}. Next: pip install -e {target} && comptoir modules enable {name}")


@main.command("routes")
@with_appcontext
@reports_errors
def routes_command():
    """Show the routes served now: the kernel's and those of the enabled modules."""
    build = current_app.current_build()
    for rule in sorted(build.url_map.iter_rules(), key=lambda r: r.rule):
        methods = ",".join(sorted(rule.methods - {"HEAD", "OPTIONS"}))
        click.echo(f"{rule.rule:<45} {methods:<18} {rule.endpoint}")
