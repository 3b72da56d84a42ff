"""Shared fixtures: real databases (SQLite always, PostgreSQL from `make test`), the app, API helpers.

Database-backed tests run twice, once per database: `db_url` is parametrised. The
PostgreSQL run needs DEALPANE_TEST_PG_URL (set by tools/with-postgres.sh); without it
those tests skip locally and FAIL in CI, so CI can never silently test only SQLite.
"""
from __future__ import annotations

import os
import shutil

import pytest
import sqlalchemy as sa

from addin.app import create_app
from addin.config import Config, sqlite_url
from storage import migrate
from storage.db import make_engine, make_session_factory
from storage.models import Base
from tests.entra_fixtures import entra_world  # noqa: F401 - the stand-in Entra for every suite

PG_URL_VAR = "DEALPANE_TEST_PG_URL"



@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """A migrated SQLite file, copied for each test (faster than migrating each time)."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    engine = make_engine(sqlite_url(path))
    migrate.upgrade(engine)
    engine.dispose()  # the last connection to close checkpoints the WAL into the file
    return path


@pytest.fixture(scope="session")
def pg_engine():
    url = os.environ.get(PG_URL_VAR)
    if not url:
        if os.environ.get("CI"):
            pytest.fail(f"{PG_URL_VAR} is not set: run the suite with `make test`")
        pytest.skip(f"PostgreSQL tests need {PG_URL_VAR} (run `make test`)")
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


def _truncate_all(engine: sa.Engine) -> None:
    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"TRUNCATE TABLE {names} RESTART IDENTITY CASCADE")


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, sqlite_template, tmp_path):
    """A migrated, empty database of each kind."""
    if request.param == "sqlite":
        path = tmp_path / "dealpane.sqlite3"
        shutil.copy(sqlite_template, path)
        engine = make_engine(sqlite_url(path))
        yield engine
        engine.dispose()
    else:
        engine = request.getfixturevalue("pg_engine")
        _truncate_all(engine)
        yield engine


@pytest.fixture
def session_factory(engine):
    return make_session_factory(engine)


@pytest.fixture
def session(session_factory):
    with session_factory() as s:
        yield s


@pytest.fixture
def config(engine):
    return Config(database_url=engine.url.render_as_string(hide_password=False), auth_mode="dev")


@pytest.fixture
def app(config, engine):
    app = create_app(config, engine=engine)
    app.config.update(TESTING=True, PROPAGATE_BUGS=True)
    return app


@pytest.fixture
def client(app):
    return app.test_client()


def demo_fake():
    """A fake Microsoft Graph with the demo mailbox, started on a free loopback port; stops on `with` exit."""
    from graph_sync.fake import FakeGraph
    from graph_sync.fake.cli import DEMO_MAILBOX

    graph = FakeGraph.from_file(DEMO_MAILBOX)
    graph.start(port=0)
    return graph


@pytest.fixture
def fake():
    """The fake Microsoft Graph with the demo mailbox, on a free loopback port."""
    with demo_fake() as graph:
        yield graph


# ---- the browser suites (tests/browser, tests/workspace_ui): one Playwright, one Chromium ----

@pytest.fixture(scope="session")
def sync_playwright():
    from tests.live_server import CHROMIUM, unavailable  # noqa: PLC0415

    try:
        from playwright.sync_api import sync_playwright as start  # noqa: PLC0415
    except ImportError:
        unavailable("the Python package playwright is not installed")
    if not CHROMIUM.exists():
        unavailable(f"{CHROMIUM} is missing (Debian package chromium)")
    with start() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(sync_playwright):
    from tests.live_server import CHROMIUM, CHROMIUM_ARGS  # noqa: PLC0415

    browser = sync_playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()
