"""The demo data: a realistic workspace, seeded once."""
import sqlalchemy as sa

from storage.demo import DEMO_COLLEAGUE, DEMO_OWNER, seed_demo
from storage.models import Account, Contact, Member, Opportunity, Product, SalesStage, User


def test_demo_seed_builds_a_sales_team_workspace(session):
    workspace, created = seed_demo(session)
    session.commit()
    assert created
    count = lambda cls: session.scalar(sa.select(sa.func.count()).select_from(cls).where(cls.workspace_id == workspace.id))  # noqa: E731
    assert count(Opportunity) >= 12
    assert count(Account) >= 3 and count(Contact) >= 5 and count(Product) >= 3
    members = {m.user.email: m.role for m in session.scalars(sa.select(Member).where(Member.workspace_id == workspace.id))}
    assert members == {DEMO_OWNER: "owner", DEMO_COLLEAGUE: "member"}
    stages = session.scalars(sa.select(SalesStage.name).join(Opportunity, Opportunity.stage_id == SalesStage.id)
                             .where(Opportunity.workspace_id == workspace.id).distinct()).all()
    assert len(stages) >= 4 and "Closed Won" in stages
    assert all(c.email_addresses for c in session.scalars(sa.select(Contact)))


def test_demo_seed_twice_keeps_the_data_and_adds_nothing(session):
    first, _ = seed_demo(session)
    session.commit()
    before = session.scalar(sa.select(sa.func.count()).select_from(Opportunity))
    second, created = seed_demo(session)
    session.commit()
    assert not created and second.id == first.id
    assert session.scalar(sa.select(sa.func.count()).select_from(Opportunity)) == before
    assert session.scalar(sa.select(sa.func.count()).select_from(User).where(User.email == DEMO_OWNER)) == 1
