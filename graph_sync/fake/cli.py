"""``dealpane fake-graph``: the fake Graph stand-alone, until Ctrl-C."""
from __future__ import annotations

import threading
from pathlib import Path

import click

from .faults import parse_spec
from .server import FakeGraph

DEMO_MAILBOX = Path(__file__).with_name("demo_mailbox.json")


def _fault(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> list[dict]:
    try:
        return [parse_spec(value) for value in values]
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


@click.command("fake-graph")
@click.option("--mailbox", "mailbox", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=DEMO_MAILBOX, show_default="the demo mailbox", help="Mailbox file (see API.md).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Loopback address to bind.")
@click.option("--port", default=0, show_default=True, type=click.IntRange(0, 65535), help="0 picks a free port.")
@click.option("--fault", "faults", multiple=True, callback=_fault, metavar="SPEC",
              help="match=PATH_PART,status=429,times=2,retry_after=1.5 or match=PATH_PART,drop=true; repeatable.")
@click.option("--require-token", default=None, help="Accept only this bearer token (default: any).")
def fake_graph(mailbox: Path, host: str, port: int, faults: list[dict], require_token: str | None) -> None:
    """Serve a fake Microsoft Graph for MAILBOX on loopback; prints the base URL."""
    try:
        fake = FakeGraph.from_file(mailbox, require_token=require_token)
        for spec in faults:
            fake.app.faults.add(spec)
        url = fake.start(host=host, port=port)
    except (ValueError, OSError) as error:
        raise click.ClickException(str(error)) from None
    click.echo(url)
    click.echo(f"fake Graph serving {mailbox} for {fake.mailbox.user.get('mail')}; Ctrl-C to stop", err=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()


if __name__ == "__main__":
    fake_graph()
