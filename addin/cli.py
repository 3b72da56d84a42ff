"""The `dealpane` command line (click)."""
from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import sys
import threading
from pathlib import Path

import click

from addin.config import Config, sqlite_url

DEFAULT_DEMO_DB = Path("instance") / "demo.sqlite3"


def _default_port() -> int:
    try:
        return int(os.environ.get("PORT", "5000"))
    except ValueError:
        raise click.BadParameter("PORT must be a number") from None


@click.group()
def main() -> None:
    """Dealpane: sales opportunity tracking inside Outlook."""
    from addin.observability import configure_logging  # noqa: PLC0415

    configure_logging()


def _demo_language(_ctx, _param, value: str) -> str:
    """--lang: 'fr', 'fr-FR', 'en' ... -> a language the demo has (storage.demo.DEMOS)."""
    from storage.demo import DEMO_LANGUAGES  # noqa: PLC0415 - keep `dealpane --help` fast
    from storage.i18n import supported  # noqa: PLC0415

    language = supported(value)
    if language not in DEMO_LANGUAGES:
        raise click.BadParameter(f"{value!r}: the demo speaks {', '.join(DEMO_LANGUAGES)}")
    return language


@main.command()
@click.option("--port", type=int, default=_default_port, show_default="5000 or $PORT")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path), default=DEFAULT_DEMO_DB,
              show_default=True, help="SQLite file of the demo")
@click.option("--mailbox", "mailbox_file", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="mailbox file for the built-in fake Graph (default: the demo mailbox)")
@click.option("--lang", "language", default="en", show_default=True, callback=_demo_language,
              help="the demo workspace's language: en (Demo, USD) or fr (Démo: French stages, lists and data, EUR)")
def demo(port: int, host: str, db_path: Path, mailbox_file: Path | None, language: str) -> None:
    """Serve the demo: SQLite, dev auth (X-Dev-User), the seeded demo workspace (in English, or in French
    with --lang fr), the demo mailbox on the built-in fake Graph (or DEALPANE_GRAPH_BASE_URL), and the sync
    worker in-process."""
    from graph_sync.fake import FakeGraph  # noqa: PLC0415 - keep `dealpane --help` fast
    from graph_sync.fake.cli import DEMO_MAILBOX
    from graph_sync.worker import SyncWorker
    from storage import migrate
    from storage.db import UnitOfWork, make_engine, make_session_factory
    from storage.demo import DEMO_OWNER, seed_demo
    from storage.services.mailboxes import connect_mailbox

    from addin.app import create_app
    from addin.malloc import keep_freed_heap

    keep_freed_heap()  # as in `serve`'s workers: the pane's calls free and reuse a few hundred KB each
    db_path.parent.mkdir(parents=True, exist_ok=True)
    config = Config.from_env(database_url=sqlite_url(db_path), auth_mode="dev", graph_auth="dev", demo=True)
    fake = None
    if not os.environ.get("DEALPANE_GRAPH_BASE_URL"):
        fake = FakeGraph.from_file(mailbox_file or DEMO_MAILBOX)
        config = config.with_(graph_base_url=fake.start(host="127.0.0.1", port=0))
    engine = make_engine(config.database_url, read_heavy=True)  # serves the pane and the workspace
    migrate.upgrade(engine)
    session_factory = make_session_factory(engine)
    with UnitOfWork(session_factory) as uow:
        workspace, created = seed_demo(uow.session, language=language)
        connect_mailbox(uow.session, workspace.id, DEMO_OWNER, "dev")
        uow.commit()
    app = create_app(config, engine=engine)
    worker = SyncWorker(session_factory, app.extensions["dealpane"].graph, interval=dt.timedelta(seconds=60))
    threading.Thread(target=worker.run_forever, kwargs={"poll": 5}, name="sync-worker", daemon=True).start()
    click.echo(f"Database: {db_path} ({'seeded' if created else 'kept as it was'}: the {workspace.name} workspace, "
               f"{workspace.language})")
    click.echo(f"Graph: {config.graph_base_url} ({'built-in fake, ' + str(mailbox_file or DEMO_MAILBOX) if fake else 'DEALPANE_GRAPH_BASE_URL'})")
    click.echo(f"Dealpane demo on http://{host}:{port}/  (pane preview: http://{host}:{port}/pane/preview, "
               f"API docs: http://{host}:{port}/api/docs/)")
    click.echo(f"Try: curl -H 'X-Dev-User: {DEMO_OWNER}' http://{host}:{port}/api/v1/workspaces/{workspace.id}/opportunities")
    from werkzeug.serving import run_simple  # noqa: PLC0415

    try:
        run_simple(host, port, app, threaded=True, use_reloader=False)
    finally:
        worker.stop()
        if fake is not None:
            fake.stop()


@main.command()
@click.option("--port", type=int, default=_default_port, show_default="5000 or $PORT")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--workers", type=int, default=None, show_default="2 x CPU cores + 1, or $WEB_CONCURRENCY")
@click.option("--insecure-dev-auth", is_flag=True, default=False,
              help="allow DEALPANE_AUTH_MODE=dev / DEALPANE_GRAPH_AUTH=dev (X-Dev-User: anyone acts as anyone); "
                   "local tests and benchmarks only, never production (same as DEALPANE_INSECURE_DEV_AUTH=1)")
def serve(port: int, host: str, workers: int | None, insecure_dev_auth: bool) -> None:
    """Production mode: Entra token validation, configuration from DEALPANE_* variables."""
    from storage import migrate  # noqa: PLC0415
    from storage.db import make_engine

    config = Config.from_env()
    if insecure_dev_auth:
        config = config.with_(insecure_dev_auth=True)
    missing = config.missing_for_serve()
    if missing:
        if config.uses_dev_auth:
            raise click.ClickException("serve refuses to start: " + ", ".join(missing) + ".")
        raise click.ClickException(
            "serve needs Microsoft Entra settings; missing: " + ", ".join(missing)
            + ". (For a local try-out without Entra, run `dealpane demo`.)")
    if config.uses_dev_auth:
        from addin.wsgi import INSECURE_WARNING  # noqa: PLC0415

        click.echo(INSECURE_WARNING, err=True)
    for name in config.retired_settings:
        click.echo(f"note: {name} is no longer read: the expected issuer follows from each token's version and "
                   "tenant (see README, Configuration).", err=True)
    engine = make_engine(config.database_url)
    if not migrate.schema_is_current(engine):
        raise click.ClickException(
            f"The database schema is at revision {migrate.current_revision(engine) or 'none'}, "
            f"the code needs {migrate.head_revision()}. Run `dealpane db upgrade` first.")
    engine.dispose()
    from addin.wsgi import run_gunicorn  # noqa: PLC0415

    run_gunicorn(config, host=host, port=port, workers=workers)


@main.group()
def db() -> None:
    """Database administration."""


@db.command("upgrade")
@click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="SQLite file (default: DEALPANE_DATABASE_URL)")
def db_upgrade(db_path: Path | None) -> None:
    """Apply the Alembic migrations up to the newest schema."""
    from storage import migrate  # noqa: PLC0415
    from storage.db import make_engine

    config = Config.from_env(**({"database_url": sqlite_url(db_path)} if db_path else {}))
    if config.database_url.startswith("sqlite:///"):
        Path(config.database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(config.database_url)
    before = migrate.current_revision(engine)
    migrate.upgrade(engine)
    after = migrate.current_revision(engine)
    safe_url = engine.url.render_as_string(hide_password=True)
    click.echo(f"{safe_url}: {before or 'empty'} -> {after}" if before != after else f"{safe_url}: already at {after}")


@db.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def db_backup(file: Path) -> None:
    """Copy the SQLite database (consistent, while the app runs) to FILE. PostgreSQL: use pg_dump."""
    from storage.backup import backup  # noqa: PLC0415

    try:
        size = backup(Config.from_env().database_url, file)
    except (ValueError, FileNotFoundError) as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"backed up to {file} ({size:,} bytes)")


@db.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="replace the current database without asking")
def db_restore(file: Path, yes: bool) -> None:
    """Replace the SQLite database with the backup FILE (stop the app and workers first)."""
    from storage.backup import restore  # noqa: PLC0415

    if not yes:
        click.confirm(f"Replace the current database with {file}?", abort=True)
    try:
        restore(Config.from_env().database_url, file)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"restored from {file}; run `dealpane db upgrade` if the backup is from an older version")


@contextlib.contextmanager
def _sessions(config: Config):
    """A session factory on the configured database, its connections closed when the command ends."""
    from storage.db import make_engine, make_session_factory  # noqa: PLC0415

    engine = make_engine(config.database_url)
    try:
        yield make_session_factory(engine)
    finally:
        engine.dispose()


@main.group()
def mailboxes() -> None:
    """Mailboxes whose mail, meetings and tasks feed a workspace's history."""


@mailboxes.command("add")
@click.argument("emails", nargs=-1)
@click.option("--workspace", "workspace_id", required=True, help="workspace id")
@click.option("--mode", type=click.Choice(["application", "delegated", "dev"]), default=None,
              help="default: application, or dev when DEALPANE_GRAPH_AUTH=dev")
@click.option("--from-file", "from_file", type=click.File("r", encoding="utf-8"), default=None,
              help="also connect the addresses in this file, one per line ('-' = standard input; # starts a comment)")
@click.pass_context
def mailboxes_add(ctx: click.Context, emails: tuple[str, ...], workspace_id: str, mode: str | None,
                  from_file) -> None:
    """Connect the mailboxes of EMAILS (and of --from-file) to a workspace (application permissions: an
    admin's choice). A company connects its salespeople at once: `--from-file sellers.txt`.

    Application mode first checks the app's settings and credentials, then probes each feature once
    with the app-only token and names every permission Graph refuses. Application permissions are
    granted to the app for the whole tenant, so with several addresses only the first is probed; an
    Exchange application access policy can still keep the app out of some mailboxes
    (https://learn.microsoft.com/graph/auth-limit-mailbox-access): the worker then reports those as
    missing_permission on its first pass. Every address is checked before anything is connected, and
    all are connected in one transaction. Exit status: 0 all granted; 1 a permission is missing (the
    mailboxes are connected all the same, and synced once the permission is granted: the worker checks
    again every hour, or run this again); 2 settings, credentials or a mailbox itself are wrong (nothing
    is connected)."""
    from storage.db import UnitOfWork  # noqa: PLC0415
    from storage.errors import DomainError
    from storage.services.mailboxes import check_connection, connect_mailbox

    addresses = list(emails)
    if from_file is not None:
        addresses += [line.split("#", 1)[0].strip() for line in from_file]
    addresses = list(dict.fromkeys(a.strip().lower() for a in addresses if a and a.strip()))
    if not addresses:
        raise click.UsageError("give at least one address (EMAILS or --from-file)")
    config = Config.from_env()
    mode = mode or ("dev" if config.graph_auth == "dev" else "application")
    with _sessions(config) as session_factory, session_factory() as session:
        wrong = []
        for address in addresses:
            try:
                check_connection(session, workspace_id, address, mode)
            except DomainError as error:
                wrong.append(f"{address}: {error.detail}")
        if wrong:
            if len(addresses) == 1:
                raise click.ClickException(wrong[0].split(": ", 1)[1])
            for line in wrong:
                click.echo(f"Error: {line}", err=True)
            click.echo(f"Error: {len(wrong)} of {len(addresses)} addresses refused; nothing was connected.", err=True)
            ctx.exit(2)
    results = _probe(config, addresses[0]) if mode == "application" else []
    if mode == "delegated":
        click.echo("delegated: the owner's consent is checked when they open the Dealpane pane in Outlook.")
    connected = []
    with _sessions(config) as session_factory, UnitOfWork(session_factory) as uow:
        for address in addresses:
            try:
                mailbox, created = connect_mailbox(uow.session, workspace_id, address, mode)
            except DomainError as error:
                raise click.ClickException(f"{address}: {error.detail}") from None
            if any(r.missing for r in results):
                from graph_sync.probes import summary  # noqa: PLC0415
                from graph_sync.worker import PERMISSION_RECHECK
                from storage.services.mailboxes import permission_missing

                # Without mail or calendar there is nothing to sync: the worker checks again in an hour;
                # otherwise it syncs what it may at once.
                syncable = not any(r.missing for r in results if r.feature.key in ("read_mail", "read_calendar"))
                permission_missing(mailbox, summary(results), recheck_after=None if syncable else PERMISSION_RECHECK)
            connected.append((mailbox.address, created, mailbox.status, mailbox.status_detail))
        uow.commit()
    if len(connected) == 1:
        address, created, status, detail = connected[0]
        click.echo(f"{'connected' if created else 'reconnected'} {address} ({mode}) to workspace {workspace_id}"
                   + (f" ({status}: {detail})" if status != "ok" else ""))
    else:
        new = sum(1 for _a, created, _s, _d in connected if created)
        click.echo(f"connected {new} and reconnected {len(connected) - new} mailboxes ({mode}) to workspace "
                   f"{workspace_id}" + (f" ({connected[0][2]}: {connected[0][3]})" if connected[0][2] != "ok" else ""))
    if any(r.missing for r in results):
        ctx.exit(1)


def _probe(config: Config, email: str) -> list:
    """One probe per feature with the app-only token; prints what each found. Exits 2 (connecting
    nothing) when settings, credentials or the mailbox are wrong."""
    from graph_sync.probes import CannotProbe, probe_application_mailbox  # noqa: PLC0415

    click.echo(f"checking what the app may do in {email} (graph_sync/probes.py says how each check leaves "
               "nothing behind):")
    try:
        results = probe_application_mailbox(config.graph_settings(), email)
    except CannotProbe as error:
        click.echo(f"Error: {error} Nothing was connected.", err=True)
        raise SystemExit(2) from None
    for result in results:
        if result.ok:
            click.echo(f"  ok       {result.feature.title}")
        elif result.missing:
            click.echo(f"  MISSING  {result.feature.title}: grant the application permission "
                       f"{', '.join(result.missing)} ({result.feature.docs[0]})")
        else:
            click.echo(f"  UNKNOWN  {result.feature.title}: {result.unknown}")
    return results


@mailboxes.command("list")
@click.option("--workspace", "workspace_id", default=None, help="only this workspace")
def mailboxes_list(workspace_id: str | None) -> None:
    """Connected mailboxes with their sync state."""
    import sqlalchemy as sa  # noqa: PLC0415

    from storage.models import Mailbox
    from storage.services.mailboxes import set_aside_of

    config = Config.from_env()
    with _sessions(config) as session_factory, session_factory() as session:
        stmt = sa.select(Mailbox).order_by(Mailbox.workspace_id, Mailbox.address)
        if workspace_id:
            stmt = stmt.where(Mailbox.workspace_id == workspace_id)
        rows = [(m, set_aside_of(session, m.id)) for m in session.scalars(stmt)]
    if not rows:
        click.echo("no mailboxes connected")
    for m, aside in rows:
        click.echo(f"{m.address}  workspace={m.workspace_id}  mode={m.mode}  status={m.status}  "
                   f"items={m.items_synced}  last_sync={m.last_sync_at or '-'}  never_log={','.join(m.never_log or []) or '-'}"
                   f"  keep_bodies={'yes' if m.keep_bodies else 'no'}  folders={','.join(m.folders or [])}")
        if m.status != "ok" and m.status_detail:
            click.echo(f"    {m.status}: {m.status_detail}")
        for item in aside:  # items the sync could not apply, tried again later (graph_sync/sync.py)
            click.echo(f"    set aside: {item.resource} {item.graph_id[:40]}  attempts={item.attempts}  "
                       f"next_try={item.next_try_at:%Y-%m-%d %H:%M}  {item.error[:200]}")


@mailboxes.command("set")
@click.argument("email")
@click.option("--workspace", "workspace_id", required=True)
@click.option("--never-log", default=None, help="comma-separated addresses or domains never stored ('' clears)")
@click.option("--keep-bodies/--preview-only", default=None, help="store message bodies, or only the preview (default)")
@click.option("--folders", default=None, help="comma-separated mail folders to sync (default inbox,sentitems)")
@click.option("--pause/--resume", default=None)
def mailboxes_set(email: str, workspace_id: str, never_log: str | None, keep_bodies: bool | None,
                  folders: str | None, pause: bool | None) -> None:
    """Privacy and sync settings of a connected mailbox."""
    import sqlalchemy as sa  # noqa: PLC0415

    from storage.db import UnitOfWork
    from storage.models import Mailbox

    config = Config.from_env()
    with _sessions(config) as session_factory, UnitOfWork(session_factory) as uow:
        mailbox = uow.session.scalar(sa.select(Mailbox).where(Mailbox.workspace_id == workspace_id,
                                                              Mailbox.address == email.strip().lower()))
        if mailbox is None:
            raise click.ClickException(f"{email} is not connected to workspace {workspace_id}")
        if never_log is not None:
            mailbox.never_log = [v.strip().lower() for v in never_log.split(",") if v.strip()]
        if keep_bodies is not None:
            mailbox.keep_bodies = keep_bodies
        if folders is not None:
            mailbox.folders = [f.strip() for f in folders.split(",") if f.strip()] or ["inbox", "sentitems"]
        if pause is not None:
            mailbox.status = "paused" if pause else "ok"
        uow.commit()
    click.echo(f"updated {email}")


@main.command()
@click.option("--once", is_flag=True, help="one pass over the due mailboxes, then exit")
@click.option("--mailbox", "address", default=None, help="only this mailbox (now, even if not due)")
@click.option("--concurrency", type=int, default=None,
              help="mailboxes synced at once by this process (default DEALPANE_SYNC_CONCURRENCY, 4)")
def sync(once: bool, address: str | None, concurrency: int | None) -> None:
    """The sync worker: delta-syncs connected mailboxes into the workspaces' history.

    Runs until SIGTERM or Ctrl-C: it stops claiming, gives the passes under way a few seconds, then
    releases the leases it still holds (a second Ctrl-C quits at once). A change notification wakes
    it at once on PostgreSQL (LISTEN); it also looks every DEALPANE_SYNC_POLL_SECONDS (1).

    With --once (or --mailbox): one line per mailbox synced, then exit 0 even when some mailboxes
    failed (each one's error is recorded on it: `dealpane mailboxes list`); exit 1 only for the
    command's own errors: settings missing or wrong, the database unreachable or out of date."""
    import sqlalchemy as sa  # noqa: PLC0415

    from graph_sync.clients import GraphAccess
    from graph_sync.worker import SyncWorker
    from storage import migrate
    from storage.db import make_engine, make_session_factory

    try:
        config = Config.from_env()
    except ValueError as error:
        raise click.ClickException(f"configuration: {error}") from None
    concurrency = config.sync_concurrency if concurrency is None else concurrency
    if concurrency < 1:
        raise click.ClickException(f"configuration: the concurrency must be at least 1, not {concurrency} "
                                   "(--concurrency, DEALPANE_SYNC_CONCURRENCY)")
    if config.sync_poll_seconds <= 0:
        raise click.ClickException("configuration: DEALPANE_SYNC_POLL_SECONDS must be more than 0")
    engine = make_engine(config.database_url)
    with contextlib.ExitStack() as cleanup:
        cleanup.callback(engine.dispose)
        try:
            current = migrate.schema_is_current(engine)
        except sa.exc.SQLAlchemyError as error:
            raise click.ClickException(f"database unreachable: {_first_line(error)}") from None
        if not current:
            raise click.ClickException("The database schema is out of date: run `dealpane db upgrade` first.")
        session_factory = make_session_factory(engine)
        graph = GraphAccess(config.graph_settings(), session_factory)
        cleanup.callback(graph.close)
        worker = SyncWorker(session_factory, graph, interval=dt.timedelta(seconds=config.sync_interval_seconds),
                            on_page=_progress_printer(), webhook_url=config.webhook_url,
                            lease=dt.timedelta(seconds=config.sync_lease_seconds),
                            web_base_url=config.public_base_url or "http://127.0.0.1:5000",
                            safety_interval=dt.timedelta(seconds=config.sync_safety_interval_seconds),
                            concurrency=concurrency, poll=config.sync_poll_seconds)
        if once or address:
            try:
                reports = worker.run_once(address)
            except sa.exc.SQLAlchemyError as error:  # ours, not a mailbox's: the pass could not go on
                raise click.ClickException(f"database error, pass stopped: {_first_line(error)}") from None
            for report in reports:
                click.echo(sync_line(report))
            if not reports:
                click.echo("nothing to sync" + (f": {address} is not connected, or paused" if address else ""))
            if worker.configuration_errors:
                raise click.ClickException("; ".join(sorted(set(worker.configuration_errors))))
            return
        click.echo(f"sync worker {worker.name} running, {concurrency} mailboxes at once; Ctrl-C to stop")
        try:
            with _stop_on_signals(worker):
                worker.run_forever()
        except KeyboardInterrupt:
            worker.stop()
        except sa.exc.SQLAlchemyError as error:  # ours, not a mailbox's: the worker cannot go on
            raise click.ClickException(f"database error, worker stopped: {_first_line(error)}") from None
        click.echo(f"sync worker {worker.name} stopped")


@contextlib.contextmanager
def _stop_on_signals(worker):
    """SIGTERM and the first Ctrl-C stop the worker gracefully (worker.stop); a second one quits now.
    The previous handlers are put back on the way out."""
    import signal  # noqa: PLC0415

    def stop(signum, _frame) -> None:
        if worker.stopping:
            raise KeyboardInterrupt
        logging.getLogger("dealpane.sync").info("signal %d: stopping", signum)
        worker.stop()

    if threading.current_thread() is not threading.main_thread():
        yield  # signals reach the main thread only
        return
    previous = {signum: signal.signal(signum, stop) for signum in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def sync_line(report) -> str:
    """One mailbox's pass: address, status, counts, and the error when there was one."""
    line = (f"{report.mailbox}: {report.status}, {report.pages} pages, {report.seen} items seen, "
            f"{report.stored} stored, {report.links} links")
    return line + (f" ({report.error})" if report.error else "")


def _first_line(error: Exception) -> str:
    return (str(getattr(error, "orig", None) or error).strip().splitlines() or [type(error).__name__])[0][:300]


def _progress_printer():
    """One line per page when logging to a file; a live counter on a terminal."""
    counts = {"pages": 0, "items": 0}
    tty = sys.stderr.isatty()

    def on_page(resource, result) -> None:
        counts["pages"] += 1
        counts["items"] += result.seen
        if tty:
            click.echo(f"\r{resource}: {counts['pages']} pages, {counts['items']} items", nl=False, err=True)
        else:
            logging.getLogger("dealpane.sync").info("%s: page of %d items (%d stored, %d links)", resource,
                                                   result.seen, result.stored, result.links)

    return on_page


def _register_subcommands() -> None:
    from graph_sync.fake.cli import fake_graph  # noqa: PLC0415
    from manifest.cli import manifest_command

    main.add_command(manifest_command)
    main.add_command(fake_graph)


_register_subcommands()

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
