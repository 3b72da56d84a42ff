"""Backups of a SQLite database (PostgreSQL: pg_dump / pg_restore, see the README).

SQLite's online backup API copies a consistent snapshot while the app keeps running.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlalchemy as sa


def sqlite_path(url: str) -> Path:
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        raise ValueError("backup/restore here is for a SQLite file; use pg_dump/pg_restore for PostgreSQL")
    return Path(parsed.database)


def backup(url: str, target: Path) -> int:
    """Copy the live database to `target`; returns its size in bytes."""
    source = sqlite_path(url)
    if not source.exists():
        raise FileNotFoundError(source)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    with sqlite3.connect(source) as src, sqlite3.connect(partial) as dst:
        src.backup(dst)
    partial.replace(target)
    return target.stat().st_size


def restore(url: str, source: Path) -> None:
    """Replace the database with the backup `source` (checked first: it must be a Dealpane database)."""
    target = sqlite_path(url)
    with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as check:
        result = check.execute("PRAGMA integrity_check").fetchone()[0]
        if result != "ok":
            raise ValueError(f"{source} is damaged: {result}")
        if not check.execute("SELECT 1 FROM sqlite_master WHERE name = 'alembic_version'").fetchone():
            raise ValueError(f"{source} is not a Dealpane database")
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
