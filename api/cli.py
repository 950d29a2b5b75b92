"""Service commands of the ``matcher`` console script: ``db``, ``users`` and ``serve``.

Registered under the entry-point group ``matcher.commands``; ``matcher`` itself never imports
this package.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path

import click

logger = logging.getLogger(__name__)


def _app():
    from . import create_app

    app = create_app()
    context = click.get_current_context(silent=True)
    if context is not None:
        context.call_on_close(lambda: _close(app))
    return app


def _close(app) -> None:
    """Close the database connections of a command's app when the command ends: a command run
    in a longer-lived process (a test, a notebook) left them open to the garbage collector."""
    engine = app.extensions.get("matcher_db", {}).get("engine")
    if engine is not None:
        engine.dispose()


@click.group()
def db() -> None:
    """The service's database: schema, import, export, sample data, training."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database schema to the newest version."""
    from .db import get_engine, upgrade

    app = _app()
    with app.app_context():
        upgrade(get_engine())
        click.echo(
            f"database {get_engine().url.render_as_string(hide_password=True)} is up to date"
        )


def _import_file(kind: str, path: str) -> dict[str, int]:
    """Import one file of `kind` (profiles, links or networks), all or nothing; exit 2 naming
    the problem when the file is missing or it or its rows are refused (any
    :class:`~matcher.errors.InputError`)."""
    from matcher.errors import InputError
    from matcher.profiles import read_network_names, read_table

    from .db import get_db
    from .services.networks import store_network_names
    from .services.transfer import import_links, import_members

    app = _app()
    with app.app_context():
        session = get_db()
        try:
            if kind == "networks":
                counts = store_network_names(session, read_network_names(path))
            else:
                raw, unit = read_table(path, kind)
                counts = (import_members if kind == "profiles" else import_links)(
                    session, raw, unit, path
                )
            session.commit()
        except (InputError, FileNotFoundError) as error:
            session.rollback()
            click.echo(f"error: {error}", err=True)
            sys.exit(2)
    return counts


def _member_and_link_files(members_help: str, links_help: str) -> Callable:
    """The ``--members`` and ``--links`` options of a command (``db export``) that takes
    either file or both: a usage error when neither is given."""

    def decorate(command: Callable) -> Callable:
        @functools.wraps(command)
        def either(members_path: str | None, links_path: str | None) -> None:
            if not members_path and not links_path:
                raise click.UsageError("give --members and/or --links")
            command(members_path, links_path)

        path = click.Path(dir_okay=False)
        either = click.option("--links", "links_path", type=path, help=links_help)(either)
        return click.option("--members", "members_path", type=path, help=members_help)(either)

    return decorate


@db.command("import")
@click.option("--members", "members_path", type=click.Path(dir_okay=False), help="Member file.")
@click.option("--links", "links_path", type=click.Path(dir_okay=False), help="Link file.")
@click.option(
    "--networks",
    "networks_path",
    type=click.Path(dir_okay=False),
    help="The networks' display names: columns network, name_en, name_uk.",
)
def db_import(members_path: str | None, links_path: str | None, networks_path: str | None) -> None:
    """Import networks' names, members and/or links (.csv, .xlsx, .json; each file all or
    nothing; upsert by id)."""
    if not (members_path or links_path or networks_path):
        raise click.UsageError("give --members, --links and/or --networks")
    if networks_path:
        click.echo(f"networks: {_import_file('networks', networks_path)}")
    if members_path:
        click.echo(f"members: {_import_file('profiles', members_path)}")
    if links_path:
        click.echo(f"links: {_import_file('links', links_path)}")


@db.command("export")
@_member_and_link_files(
    "Write members here (.csv, .xlsx, .json); contacts included.", "Write links here."
)
def db_export(members_path: str | None, links_path: str | None) -> None:
    """Export members and/or links (CSV and XLSX formula-escaped)."""
    from matcher.profiles import PROFILE_COLUMNS

    from .db import get_db
    from .services.transfer import (
        CONTACT_COLUMNS,
        FORMATS,
        LINK_EXPORT_COLUMNS,
        link_records,
        member_records,
        render,
    )

    app = _app()
    with app.app_context():
        for path, kind in ((members_path, "profiles"), (links_path, "links")):
            if not path:
                continue
            file_format = Path(path).suffix.lstrip(".").lower()
            if file_format not in FORMATS:
                raise click.BadParameter(f"{path}: use .csv, .xlsx or .json")
            if kind == "profiles":
                content = render(
                    member_records(get_db(), None),
                    list(PROFILE_COLUMNS) + list(CONTACT_COLUMNS),
                    file_format,
                    kind,
                )
            else:
                content = render(link_records(get_db()), LINK_EXPORT_COLUMNS, file_format, kind)
            tmp = Path(path).with_name(Path(path).name + ".tmp")
            tmp.write_bytes(content)
            os.replace(tmp, path)
            click.echo(f"wrote {path}")


@db.command("load-sample")
def db_load_sample() -> None:
    """Import the fictional sample cluster (2,150 profiles, their links, their networks'
    names)."""
    from matcher.datasets.generator import SAMPLE_DIR

    click.echo(f"networks: {_import_file('networks', str(SAMPLE_DIR / 'networks.csv'))}")
    click.echo(f"members: {_import_file('profiles', str(SAMPLE_DIR / 'profiles.csv'))}")
    click.echo(f"links: {_import_file('links', str(SAMPLE_DIR / 'links.csv'))}")


@db.command("train")
@click.option("--activate/--no-activate", default=True, show_default=True)
def db_train(activate: bool) -> None:
    """Train a model version from the current data now (in the foreground) and activate it."""
    from .services.serving import train_new_version

    version = train_new_version(_app(), activate)
    if version.status != "ready":
        click.echo(f"error: training failed: {version.error}", err=True)
        sys.exit(1)
    click.echo(
        f"model version {version.version_id} ({version.name}) is ready"
        + (" and active" if activate else "")
    )


@click.group()
def users() -> None:
    """Users and their bearer tokens."""


@users.command("create")
@click.option("--name", required=True)
@click.option("--role", required=True, type=click.Choice(["member", "manager", "admin"]))
@click.option("--member", "member_id", default=None, help="The member a 'member' user acts for.")
@click.option(
    "--network",
    "network_id",
    default=None,
    help="The network a manager looks after (default: the home cluster).",
)
def users_create(name: str, role: str, member_id: str | None, network_id: str | None) -> None:
    """Create a user; the new token is printed alone on the last line."""
    from matcher.errors import InputError
    from matcher.profiles import HOME_NETWORK

    from .auth import create_user
    from .db import get_db
    from .tables import Member

    app = _app()
    with app.app_context():
        session = get_db()
        if member_id and session.get(Member, member_id) is None:
            raise click.BadParameter(f"member {member_id!r} doesn't exist", param_hint="--member")
        if role == "manager" and network_id is None:
            network_id = HOME_NETWORK
        try:
            user, token = create_user(session, name, role, member_id, network_id)
        except InputError as error:
            raise click.BadParameter(str(error)) from None
        session.commit()
        click.echo(f"created user {user.user_id} {name!r} ({role}); the token is shown once:")
        click.echo(token)


def _user_named(session, name: str):
    """The user named `name` (``--name``): a bad parameter naming it when there is none."""
    from sqlalchemy import select

    from .tables import User

    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        raise click.BadParameter(f"no user named {name!r}", param_hint="--name")
    return user


@users.command("revoke")
@click.option("--name", required=True)
def users_revoke(name: str) -> None:
    """Revoke every token of a user (and its password for the manager pages)."""
    from .auth import LastAdminError, revoke_tokens
    from .db import get_db

    app = _app()
    with app.app_context():
        session = get_db()
        user = _user_named(session, name)
        had_password = user.password_hash is not None
        try:
            count = revoke_tokens(session, user)
        except LastAdminError as error:
            raise click.BadParameter(str(error), param_hint="--name") from None
        session.commit()
        click.echo(
            f"revoked {count} token{'s' if count != 1 else ''} of {name!r}"
            + (" and its password" if had_password else "")
        )


@users.command("set-password")
@click.option("--name", required=True)
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="The new password (asked for, hidden, when not given).",
)
def users_set_password(name: str, password: str) -> None:
    """Set the password a manager or admin signs in to the manager pages with (a member's user:
    the member pages; invitations let the member choose it: ``users invite``)."""
    from matcher.errors import InputError

    from .auth import set_password
    from .db import get_db

    app = _app()
    with app.app_context():
        session = get_db()
        user = _user_named(session, name)
        try:
            set_password(user, password)
        except InputError as error:
            raise click.BadParameter(str(error)) from None
        session.commit()
        pages = "/my/login" if user.role == "member" else "/manage/login"
        click.echo(f"password of {name!r} set; sign in at {pages}")


@users.command("invite")
@click.option("--member", "member_id", required=True, help="The member firm to invite.")
@click.option(
    "--base-url",
    default="http://127.0.0.1:8000",
    show_default=True,
    help="The service's address, as the member's browser reaches it.",
)
def users_invite(member_id: str, base_url: str) -> None:
    """Invite a member firm to its pages: print a one-time link (good for MATCHER_INVITATION_DAYS
    days, 7 unless set) where it chooses a user name and password; earlier links are void."""
    from matcher.errors import InputError

    from .db import get_db
    from .services.invitations import issue_invitation

    app = _app()
    with app.app_context():
        session = get_db()
        try:
            issued = issue_invitation(
                session, member_id, None, days=int(app.config["INVITATION_DAYS"])
            )
        except InputError as error:
            raise click.BadParameter(str(error), param_hint="--member") from None
        session.commit()
        click.echo(
            f"invitation of {member_id} to the member pages, good once until "
            f"{issued.expires_at:%Y-%m-%d %H:%M} UTC:"
        )
        click.echo(issued.link(base_url))


#: The longest path of a Unix socket (``sun_path`` holds 108 bytes on Linux, 104 on macOS).
_MAX_SOCKET_PATH = 100


def control_socket(runtime_dir: str | os.PathLike, host: str, port: int) -> Path | None:
    """Return the gunicorn control socket of the instance serving `host`:`port`.

    gunicorn (25.1 and later) opens a control socket for ``gunicornc``, by default one path per
    user (``~/.gunicorn/gunicorn.ctl``): a second server replaced the first one's socket, and
    stopping either removed the other's. One socket per address and runtime folder keeps each
    server's own. None when the path would be too long for a Unix socket.
    """
    name = re.sub(r"[^A-Za-z0-9.]", "_", host) or "_"
    path = Path(runtime_dir).absolute() / f"gunicorn-{name}-{port}.ctl"
    return path if len(os.fsencode(path)) <= _MAX_SOCKET_PATH else None


def _gunicorn_has_control_socket() -> bool:
    from gunicorn.config import KNOWN_SETTINGS

    return any(setting.name == "control_socket" for setting in KNOWN_SETTINGS)


def gunicorn_arguments(
    host: str,
    port: int,
    workers: int,
    threads: int,
    timeout: int,
    access_log: bool,
    runtime_dir: str | os.PathLike,
) -> list[str]:
    """Return gunicorn's command-line arguments for one ``matcher serve`` instance.

    The control socket is this instance's own (:func:`control_socket`), or off when no usable
    path exists; gunicorn versions without a control socket get neither option. The worker
    class is the service's own (:mod:`api.gunicorn_workers`: gunicorn's errors as problem+json,
    a time limit per request), threaded with more than one thread as gunicorn's would be.
    """
    from .gunicorn_workers import worker_class

    arguments = [
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--worker-class",
        worker_class(threads),
        "--timeout",
        str(timeout),
        "--bind",
        f"{host}:{port}",
        *(["--access-logfile", "-"] if access_log else []),
    ]
    if _gunicorn_has_control_socket():
        path = control_socket(runtime_dir, host, port)
        if path is None:
            arguments.append("--no-control-socket")
        else:
            arguments += ["--control-socket", str(path)]
    return [*arguments, "api:create_app()"]


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64))
@click.option("--threads", default=1, show_default=True, type=click.IntRange(1, 64))
@click.option(
    "--timeout",
    default=120,
    show_default=True,
    type=click.IntRange(30, 3600),
    help="Seconds a request may take (building a session's agenda takes up to 60): a request "
    "still running a little before is stopped with a 503 problem and its worker restarted.",
)
@click.option(
    "--access-log/--no-access-log",
    default=True,
    show_default=True,
    help="Log every request on standard output (gunicorn's access log).",
)
def serve(host: str, port: int, workers: int, threads: int, timeout: int, access_log: bool) -> None:
    """Run the service with gunicorn (the schema is upgraded first, and model versions left
    training by a process that is gone are marked failed)."""
    from .db import get_db, get_engine, upgrade
    from .services.serving import fail_abandoned_versions

    app = _app()
    with app.app_context():
        upgrade(get_engine())
        session = get_db()
        fail_abandoned_versions(session)
        session.commit()
    runtime_dir = Path(app.config["RUNTIME_DIR"])
    arguments = gunicorn_arguments(host, port, workers, threads, timeout, access_log, runtime_dir)
    if "--control-socket" in arguments:
        # gunicorn would create it with the default umask; the socket is for this user only.
        runtime_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    click.echo(
        f"serving on http://{host}:{port}/ (manager pages: http://{host}:{port}/manage/, "
        f"docs: http://{host}:{port}/api/v1/swagger)"
    )
    if "--control-socket" in arguments:
        click.echo(f"gunicorn control socket: {arguments[arguments.index('--control-socket') + 1]}")
    sys.stdout.flush()
    os.execv(sys.executable, [sys.executable, "-m", "gunicorn", *arguments])
