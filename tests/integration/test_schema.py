"""The Alembic migration and the models describe the same schema, on both databases."""
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from storage import migrate
from storage.models import Base


def test_migration_matches_the_models(engine):
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_migrated_database_is_at_head(engine):
    assert migrate.current_revision(engine) == migrate.head_revision()
    assert migrate.schema_is_current(engine)


def test_an_empty_database_is_not_current(tmp_path):
    from storage.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    assert migrate.current_revision(engine) is None
    assert not migrate.schema_is_current(engine)
    migrate.upgrade(engine)
    assert migrate.schema_is_current(engine)
    engine.dispose()


def test_sqlite_runs_with_wal_foreign_keys_and_a_busy_timeout(tmp_path):
    from storage.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'p.sqlite3'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000
    engine.dispose()


def test_the_database_itself_refuses_an_opportunity_with_two_links(engine, session_factory):
    """The rule lives in storage twice: in the services and as a CHECK constraint."""
    from storage.demo import seed_demo
    from storage.models import Opportunity

    with session_factory() as session:
        seed_demo(session)
        session.commit()
        opportunity = session.scalars(sa.select(Opportunity).where(Opportunity.link_account_id.is_not(None))).first()
        contact_id = session.scalars(sa.select(Opportunity.link_contact_id).where(
            Opportunity.link_contact_id.is_not(None))).first()
        opportunity.link_contact_id = contact_id
        try:
            session.flush()
        except sa.exc.IntegrityError:
            session.rollback()
        else:  # pragma: no cover - the assertion below explains the failure
            raise AssertionError("an opportunity linked to an account AND a contact was stored")
