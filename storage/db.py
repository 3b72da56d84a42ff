"""Engines, sessions and the unit of work: one transaction per request or per sync page."""
from __future__ import annotations

import functools
import weakref
from typing import Callable

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy import orm as so


SQLITE_CACHE_KIB = 64 * 1024  # per connection; filled only with pages actually read
# Reads through a memory map share the OS page cache across connections instead of each connection
# copying pages into its own cache (bench: 8 pooled connections on a 1.4 GB file, 309 -> 232 µs per
# pane context call). Address space only; SQLite maps at most the file's size.
SQLITE_MMAP_BYTES = 8 << 30


def make_engine(url: str, *, echo: bool = False, read_heavy: bool = False) -> sa.Engine:
    """An engine with the settings Dealpane relies on.

    SQLite: WAL so readers never wait for the writer, foreign keys on (off by default in
    SQLite), a busy timeout instead of instant "database is locked" errors, and
    BEGIN IMMEDIATE so two writers queue instead of deadlocking on lock upgrade.

    read_heavy (the web tier): SQLite keeps up to 64 MB of pages per connection and reads through a
    memory map. Not for the sync worker, whose memory should not grow with the database.
    """
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, echo=echo, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            dbapi_conn.isolation_level = None  # let SQLAlchemy's BEGIN below drive transactions
            cur = dbapi_conn.cursor()
            if not _is_memory(url):
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA synchronous=NORMAL")
            # SQLite's default page cache is 2 MB per connection; the pane's lookups touch index
            # pages all over a large file, and re-reading them from the OS costs more than the query
            # (bench: 614 -> 273 µs per context call on a 145 MB file).
            if read_heavy:
                cur.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
                if not _is_memory(url):
                    cur.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            # Writers take the write lock up front (no lock-upgrade deadlocks); readers (GET requests,
            # see read_only()) begin deferred, so under WAL they never wait for anyone.
            options = conn.get_execution_options()
            if options.get("dealpane_single_statement"):
                return  # single_statement(): the one SELECT is its own snapshot
            conn.exec_driver_sql("BEGIN" if options.get("dealpane_read_only", False) else "BEGIN IMMEDIATE")

        return engine
    return sa.create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=20)


def _is_memory(url: str) -> bool:
    return url in ("sqlite://", "sqlite:///:memory:") or "mode=memory" in url


def make_session_factory(engine: sa.Engine) -> so.sessionmaker[so.Session]:
    return so.sessionmaker(engine, expire_on_commit=False, autoflush=True)


def read_only(engine: sa.Engine) -> sa.Engine:
    """The same engine (and pool) for transactions that mostly read: on SQLite they begin deferred."""
    return engine.execution_options(dealpane_read_only=True)


def single_statement(engine: sa.Engine) -> sa.Engine:
    """An engine for a hot read that is ONE statement: no BEGIN and no ROLLBACK around it (a
    statement is its own consistent snapshot on both databases); never use it for several
    statements that must agree.

    SQLite: the same pool. PostgreSQL: a small pool of its own whose sessions keep generic plans
    for prepared statements (psycopg prepares a statement on its 5th run). PostgreSQL otherwise
    re-plans the pane's context statement on every call, and planning it costs 2.5 ms against
    0.5 ms to run it; its branches are all index lookups by key, which a generic plan keeps.
    """
    if engine.dialect.name == "sqlite":
        # not isolation_level=AUTOCOMMIT: SQLAlchemy's reset would hand the pooled connection back
        # with pysqlite's own transaction handling switched on
        return engine.execution_options(dealpane_single_statement=True)
    hot = _HOT_POOLS.get(engine)
    if hot is None:  # one per engine (apps built on the same engine share it)
        pool = sa.create_engine(engine.url, pool_pre_ping=False, pool_size=5, max_overflow=10,
                                connect_args={"options": "-c plan_cache_mode=force_generic_plan"})
        event.listen(engine, "engine_disposed", lambda _engine: pool.dispose())  # they close together
        hot = _HOT_POOLS[engine] = pool.execution_options(isolation_level="AUTOCOMMIT")
    return hot


_HOT_POOLS: "weakref.WeakKeyDictionary[sa.Engine, sa.Engine]" = weakref.WeakKeyDictionary()


class UnitOfWork:
    """A session whose transaction rolls back unless `commit()` is called.

    Callers open it (one per request, one per sync page); services receive the session
    and never commit on their own.
    """

    def __init__(self, session_factory: Callable[[], so.Session]):
        self._factory = session_factory
        self.session: so.Session | None = None

    def __enter__(self) -> "UnitOfWork":
        self.session = self._factory()
        return self

    def __exit__(self, *exc) -> None:
        assert self.session is not None
        try:
            self.session.rollback()
        finally:
            self.session.close()
            self.session = None

    def commit(self) -> None:
        assert self.session is not None
        self.session.commit()


def insert_rows(conn: sa.Connection, table: sa.Table, rows: list[dict]) -> None:
    """INSERT plain rows in one executemany: the SQL and every column type's bind conversion are
    SQLAlchemy's (worked out once per table and column set), without its per-row parameter
    bookkeeping, which cost as much as SQLite's own inserting of a sync page's new history.

    Every row has the same keys, and names every column that has a Python-side default (those
    defaults are not applied here)."""
    if not rows:
        return
    sql, names, processors = _insert_plan(conn.dialect, table, tuple(rows[0]))
    if names is not None:  # positional placeholders (SQLite)
        plan = [(name, processors.get(name)) for name in names]
        params: list = [tuple(p(row[n]) if p else row[n] for n, p in plan) for row in rows]
    else:
        params = [{n: (processors[n](v) if n in processors else v) for n, v in row.items()} for row in rows]
    conn.exec_driver_sql(sql, params)


@functools.lru_cache(maxsize=32)
def _insert_plan(dialect: sa.Dialect, table: sa.Table, columns: tuple[str, ...]):
    missing = [c.key for c in table.columns if c.key not in columns and (c.default is not None or not c.nullable)
               and c.server_default is None]
    if missing:
        raise ValueError(f"insert_rows into {table.name}: rows must name {', '.join(missing)}")
    compiled = table.insert().compile(dialect=dialect, column_keys=list(columns))
    if set(compiled.binds) != set(columns):
        raise ValueError(f"insert_rows into {table.name}: columns {columns} do not bind as themselves")
    processors = {}
    for name in columns:
        processor = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        if processor is not None:
            processors[name] = processor
    return compiled.string, tuple(compiled.positiontup) if compiled.positional else None, processors
