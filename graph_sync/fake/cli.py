"""``dealpane fake-graph``: the fake Graph stand-alone, until Ctrl-C (or SIGTERM).

One mailbox (the default): prints the base URL. ``--company N``: a company of N mailboxes
(company.py); prints one JSON line with everything a Dealpane process needs to use it, and with
``--entra-tls-dir`` also serves the stand-in Entra over HTTPS (its throwaway CA in that folder),
with Dealpane registered, every application permission the sync needs granted and every seller a
user of the tenant, the fake Graph accepting only its tokens.
"""
from __future__ import annotations

import json
import secrets
import signal
import sys
import threading
import uuid
from pathlib import Path

import click

from .faults import parse_spec
from .server import FakeGraph

DEMO_MAILBOX = Path(__file__).with_name("demo_mailbox.json")
# The application permissions the sync and the pane's features use (graph_sync.permissions.FEATURES),
# plus Mail.ReadWrite, which the outbound mail needs for its draft: README's permission table.
APP_ROLES = ("Mail.Read", "Mail.ReadWrite", "Mail.Send", "Calendars.Read", "Calendars.ReadWrite",
             "Tasks.ReadWrite.All", "User.Read.All")


def _fault(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> list[dict]:
    try:
        return [parse_spec(value) for value in values]
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


def _latency(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple[float, float] | None:
    if not value:
        return None
    low, sep, high = value.partition("-")
    try:
        pair = (float(low), float(high if sep else low))
    except ValueError:
        raise click.BadParameter("expected LOW-HIGH seconds, e.g. 0.06-0.25") from None
    if pair[0] < 0 or pair[1] < pair[0]:
        raise click.BadParameter("expected 0 <= LOW <= HIGH")
    return pair


def _wait_for_signal() -> None:
    stop = threading.Event()
    for name in ("SIGTERM", "SIGINT"):
        signal.signal(getattr(signal, name), lambda *_: stop.set())
    while not stop.wait(0.5):
        pass


def _application_roles() -> tuple[str, ...]:
    from graph_sync.permissions import FEATURES  # noqa: PLC0415 - the fake stands alone until asked

    return tuple(sorted({*APP_ROLES, *(name for feature in FEATURES for name in feature.application)}))


def _company_world(company, tls_dir: Path | None):
    """(StandinEntra or None, EntraServer or None, registration facts) for a company run."""
    seed = f"dealpane-fake-company:{company.seed}:{company.domain}"
    facts = {"tenant_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{seed}:tenant")),
             "client_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{seed}:client")),
             "client_secret": secrets.token_urlsafe(24)}
    if tls_dir is None:
        return None, None, facts
    from .entra import EntraApp, StandinEntra  # noqa: PLC0415
    from .entra_http import EntraServer  # noqa: PLC0415

    entra = StandinEntra()
    app = entra.add_app(EntraApp(client_id=facts["client_id"], secret=facts["client_secret"],
                                 home_tenant=facts["tenant_id"], app_id_uri=f"api://{facts['client_id']}",
                                 token_version=2))
    entra.grant_roles(app, facts["tenant_id"], _application_roles())
    for n in range(company.mailboxes):
        user = company.user(n)
        entra.add_user(facts["tenant_id"], user["userPrincipalName"], user["displayName"], object_id=user["id"])
    tls_dir.mkdir(parents=True, exist_ok=True)
    server = EntraServer(entra, tls_dir)
    return entra, server, facts


@click.command("fake-graph")
@click.option("--mailbox", "mailbox", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, show_default="the demo mailbox", help="Mailbox file (see API.md).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Loopback address to bind.")
@click.option("--port", default=0, show_default=True, type=click.IntRange(0, 65535), help="0 picks a free port.")
@click.option("--fault", "faults", multiple=True, callback=_fault, metavar="SPEC",
              help="match=PATH_PART,status=429,times=2,retry_after=1.5 or match=PATH_PART,drop=true; repeatable.")
@click.option("--require-token", default=None, help="Accept only this bearer token (default: any).")
@click.option("--company", "company_size", type=click.IntRange(1, 100_000), default=None, metavar="N",
              help="Serve a company of N mailboxes (seller0000@DOMAIN ...) instead of one; prints a JSON line.")
@click.option("--messages-per-mailbox", type=click.IntRange(0, 10_000), default=20, show_default=True)
@click.option("--seed", type=int, default=7, show_default=True, help="The company's mail is made from it.")
@click.option("--domain", default="contoso.com", show_default=True)
@click.option("--latency", callback=_latency, default=None, metavar="LOW-HIGH",
              help="A uniform random pause per Graph request, in seconds (e.g. 0.06-0.25).")
@click.option("--notify/--no-notify", default=False, help="Send change notifications to subscribers.")
@click.option("--notify-delay", type=click.FloatRange(0, 60), default=1.0, show_default=True,
              help="Seconds a notification waits to be batched with others for the same URL.")
@click.option("--no-limits", is_flag=True, help="Turn Graph's throttling limits off (they are on by default).")
@click.option("--entra-tls-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="With --company: also serve the stand-in Entra over HTTPS, its CA and keys in this folder.")
def fake_graph(mailbox: Path | None, host: str, port: int, faults: list[dict], require_token: str | None,
               company_size: int | None, messages_per_mailbox: int, seed: int, domain: str,
               latency: tuple[float, float] | None, notify: bool, notify_delay: float, no_limits: bool,
               entra_tls_dir: Path | None) -> None:
    """Serve a fake Microsoft Graph on loopback: MAILBOX (prints the base URL), or with --company a
    company's mailboxes (prints one JSON line)."""
    if company_size is None:
        if entra_tls_dir is not None:
            raise click.UsageError("--entra-tls-dir goes with --company")
        _serve_one(mailbox or DEMO_MAILBOX, host, port, faults, require_token, latency, notify, notify_delay,
                   no_limits)
        return
    if mailbox is not None:
        raise click.UsageError("--mailbox and --company exclude each other")
    from .company import Company  # noqa: PLC0415

    company = Company(mailboxes=company_size, messages_per_mailbox=messages_per_mailbox, seed=seed, domain=domain)
    entra, entra_server, facts = _company_world(company, entra_tls_dir)
    try:
        fake = FakeGraph(company=company, require_token=require_token, entra=entra, notify=notify,
                         notify_delay=notify_delay, limits=not no_limits, latency=latency)
        for spec in faults:
            fake.app.faults.add(spec)
        if entra_server is not None:
            entra_server.start()
        url = fake.start(host=host, port=port)
    except (ValueError, OSError) as error:
        raise click.ClickException(str(error)) from None
    line = {"graph_url": url, "control_url": url[: -len("/v1.0")],
            "authority_host": entra_server.authority_host if entra_server is not None else None,
            "ca_file": str(entra_server.ca_file) if entra_server is not None else None,
            **facts, "mailboxes": company.mailboxes, "domain": company.domain,
            "first_user": company.user(0)["userPrincipalName"]}
    click.echo(json.dumps(line))
    sys.stdout.flush()
    click.echo(f"fake Graph serving a company of {company.mailboxes} mailboxes at {url}; SIGTERM or Ctrl-C stops it",
               err=True)
    try:
        _wait_for_signal()
    finally:
        fake.stop()
        if entra_server is not None:
            entra_server.stop()


def _serve_one(mailbox: Path, host: str, port: int, faults: list[dict], require_token: str | None,
               latency: tuple[float, float] | None, notify: bool, notify_delay: float, no_limits: bool) -> None:
    try:
        fake = FakeGraph.from_file(mailbox, require_token=require_token, latency=latency, notify=notify,
                                   notify_delay=notify_delay, limits=not no_limits)
        for spec in faults:
            fake.app.faults.add(spec)
        url = fake.start(host=host, port=port)
    except (ValueError, OSError) as error:
        raise click.ClickException(str(error)) from None
    click.echo(url)
    click.echo(f"fake Graph serving {mailbox} for {fake.mailbox.user.get('mail')}; Ctrl-C to stop", err=True)
    try:
        _wait_for_signal()
    finally:
        fake.stop()


if __name__ == "__main__":
    fake_graph()
