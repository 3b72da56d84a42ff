"""Erasing a person keeps them out: new mail from their address after erasure stores nothing, where a
plain delete lets the next sync file it again in their company's history (by its e-mail domain)."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from storage.db import UnitOfWork
from storage.demo import DEMO_OWNER
from storage.models import Account, AuditEvent, Contact, HistoryItem, HistoryLink, Mailbox
from storage.services import crm
from storage.services.access import user_by_email
from storage.services.erasure import erase_contact

from .test_sync import new_message

ERIN = "erin.example@fabrikam.com"


@pytest.fixture
def erin(session_factory, workspace_id, mailbox_id):
    """A business contact of Fabrikam (whose domain fabrikam.com files mail in the account's history)."""
    with UnitOfWork(session_factory) as uow:
        fabrikam = uow.session.scalar(sa.select(Account).where(Account.workspace_id == workspace_id,
                                                               Account.name == "Fabrikam, Inc."))
        contact = crm.save_contact(uow.session, workspace_id, None, {
            "display_name": "Erin Example", "email_addresses": [ERIN], "account_id": fabrikam.id})
        uow.commit()
        return contact.id


def stored_from(session_factory, subject: str) -> list[HistoryItem]:
    with session_factory() as session:
        return list(session.scalars(sa.select(HistoryItem).where(HistoryItem.subject == subject)))


def accounts_linked(session_factory, item_id: str) -> list[str]:
    with session_factory() as session:
        return list(session.scalars(sa.select(HistoryLink.account_id).where(HistoryLink.item_id == item_id,
                                                                            HistoryLink.account_id.is_not(None))))


def test_new_mail_from_an_erased_person_is_not_stored(worker, session_factory, fake, workspace_id, erin):
    new_message(fake, "Erin before erasure", ERIN)
    worker.run_once(DEMO_OWNER)
    [before] = stored_from(session_factory, "Erin before erasure")  # while she is a contact: filed

    with UnitOfWork(session_factory) as uow:
        owner = user_by_email(uow.session, DEMO_OWNER)
        receipt = erase_contact(uow.session, workspace_id, owner, erin)
        uow.commit()
    # hers alone (Fabrikam had it only by her own address's domain): gone
    assert receipt["history_items_removed"] == 1 and receipt["history_items_kept"] == 0
    assert receipt["mailboxes_blocking"] == 1
    assert stored_from(session_factory, "Erin before erasure") == []

    new_message(fake, "Erin after erasure", ERIN)
    reports = worker.run_once(DEMO_OWNER)
    assert [r.status for r in reports] == ["ok"]
    assert stored_from(session_factory, "Erin after erasure") == []
    with session_factory() as session:
        assert session.get(Contact, erin) is None
        assert ERIN in session.scalar(sa.select(Mailbox.never_log).where(Mailbox.workspace_id == workspace_id))
        assert session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == 1
    assert before.from_address == ERIN


def test_contrast_a_plain_delete_lets_the_next_sync_bring_the_person_back(worker, session_factory, fake,
                                                                           workspace_id, erin):
    new_message(fake, "Erin before delete", ERIN)
    worker.run_once(DEMO_OWNER)
    assert stored_from(session_factory, "Erin before delete")
    with UnitOfWork(session_factory) as uow:
        crm.delete_contact(uow.session, uow.session.get(Contact, erin))
        uow.commit()

    new_message(fake, "Erin after delete", ERIN)
    worker.run_once(DEMO_OWNER)
    [back] = stored_from(session_factory, "Erin after delete")  # HubSpot's failure: she is back
    assert back.from_address == ERIN and accounts_linked(session_factory, back.id)
