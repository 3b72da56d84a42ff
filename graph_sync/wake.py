"""Waking idle sync workers the moment a change notification is accepted.

PostgreSQL: graph_sync.notifications.accept runs `pg_notify('dealpane_sync', ...)` in its own
transaction, so the signal is delivered when (and only if) the woken marks are committed
(https://www.postgresql.org/docs/current/sql-notify.html: "if a NOTIFY is executed inside a
transaction, the notify events are not delivered until and unless the transaction is committed").
Each worker holds one LISTEN connection (Listener below, a thread of its own) and kicks its
dispatcher at once. A dropped connection is opened again (1 s, doubling up to 30 s); notifications
sent while it was down are not replayed by PostgreSQL, so the dispatcher's poll (every
DEALPANE_SYNC_POLL_SECONDS) stays as the fallback that finds the woken rows anyway.

SQLite (one host, tests and small deployments): no listener; the dispatcher polls.

The payload is only a hint (the woken mailboxes' ids when they fit): the truth is the mailbox rows
(woken_at), which the dispatcher claims like any due mailbox.
"""
from __future__ import annotations

import logging
import threading
from typing import Callable, Iterable

import sqlalchemy as sa
from sqlalchemy import orm as so

log = logging.getLogger(__name__)

CHANNEL = "dealpane_sync"
MAX_PAYLOAD = 7000  # PostgreSQL refuses payloads of 8000 bytes and more


_local: set[threading.Event] = set()
_local_lock = threading.Lock()


def register_local(event: threading.Event) -> None:
    """A dispatcher of this process to kick after an accepted batch (any database: `dealpane demo`
    runs the web app and the worker in one process)."""
    with _local_lock:
        _local.add(event)


def unregister_local(event: threading.Event) -> None:
    with _local_lock:
        _local.discard(event)


def kick_local() -> None:
    """After the woken marks are committed: wake this process's dispatchers."""
    with _local_lock:
        events = list(_local)
    for event in events:
        event.set()


def notify(session: so.Session, mailbox_ids: Iterable[str]) -> None:
    """Signal listening workers when `session`'s transaction commits (PostgreSQL; nothing elsewhere)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    payload = ",".join(sorted(mailbox_ids))
    session.execute(sa.select(sa.func.pg_notify(CHANNEL, payload if len(payload) <= MAX_PAYLOAD else "")))


class Listener:
    """LISTEN on CHANNEL in a daemon thread; `on_wake()` for each notification received."""

    def __init__(self, engine: sa.Engine, on_wake: Callable[[], None], *, timeout: float = 1.0,
                 max_backoff: float = 30.0):
        self._engine = engine
        self._on_wake = on_wake
        self._timeout = timeout
        self._max_backoff = max_backoff
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._conn = None
        self.connected = threading.Event()  # set while LISTEN is in place (tests wait on it)
        self.received = 0

    def start(self) -> "Listener":
        self._thread = threading.Thread(target=self._run, name="sync-wake-listener", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(self._timeout * 3 + 1)

    def _connect(self):
        import psycopg  # noqa: PLC0415 - only PostgreSQL deployments need it

        args, kwargs = self._engine.dialect.create_connect_args(self._engine.url)
        # keepalives: a connection dropped silently (a NAT, a failover) is noticed in about a minute
        kwargs = {"keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10, "keepalives_count": 3,
                  **kwargs}
        conn = psycopg.connect(*args, **kwargs, autocommit=True)
        conn.execute(f"LISTEN {CHANNEL}")
        return conn

    def _run(self) -> None:
        backoff = 1.0
        while not self._stop.is_set():
            try:
                self._conn = self._connect()
                self.connected.set()
                backoff = 1.0
                # A notification sent while we were not listening is lost: look at the rows once.
                self._on_wake()
                while not self._stop.is_set():
                    # psycopg 3.2+: waits at most `timeout` s, then ends the generator
                    for _notice in self._conn.notifies(timeout=self._timeout):
                        self.received += 1
                        self._on_wake()
            except Exception as error:  # noqa: BLE001 - a dropped connection, a restart: listen again
                self._close()
                if self._stop.is_set():
                    break
                log.warning("sync wake-up listener: %s; listening again in %.0f s", error, backoff)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, self._max_backoff)
        self._close()

    def _close(self) -> None:
        self.connected.clear()
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:  # noqa: BLE001 - closing a broken connection
                pass

    @property
    def backend_pid(self) -> int | None:
        """The PostgreSQL backend of the LISTEN connection (tests end it with pg_terminate_backend)."""
        conn = self._conn
        return conn.info.backend_pid if conn is not None else None


def listener_for(engine: sa.Engine | None, on_wake: Callable[[], None]) -> Listener | None:
    """A started Listener on PostgreSQL, None elsewhere (the dispatcher polls)."""
    if engine is None or engine.dialect.name != "postgresql":
        return None
    return Listener(engine, on_wake).start()
