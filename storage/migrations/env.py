"""Alembic environment. Uses the connection handed in by storage.migrate when there is one."""
from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from storage.models import Base
from storage.types import ScaledDecimal, UtcDateTime

config = context.config
target_metadata = Base.metadata


def _render_item(kind: str, obj, autogen_context):
    """Migrations are frozen history: render our column types as the plain types they store."""
    if kind == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime()"
    if kind == "type" and isinstance(obj, ScaledDecimal):
        return "sa.BigInteger()"
    return False


def _configure_and_run(connection: sa.Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure_and_run(connection)
        return
    engine = sa.create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.begin() as conn:
        _configure_and_run(conn)


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
