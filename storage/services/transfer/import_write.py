"""Writing an import: every record of the file in one INSERT per table (executemany).

The rows are what the services' flush would write for a new record: the record (version 1, created
and updated now), its e-mail domains or addresses, lines and category links, new categories once per
file, and the name-search rows that storage.models.search's mapper events write for ORM inserts
(name_word_rows, as bench/seed.py does for its bulk loads).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import orm as so

from storage.models import (
    Account, AccountDomain, Category, Contact, ContactEmail, Member, NameWord, Opportunity, OpportunityLine, new_id,
)
from storage.models.crm import account_category, contact_category, opportunity_category
from storage.models.search import name_word_rows
from storage.types import utcnow

if TYPE_CHECKING:
    from .import_plan import Checked, Directory

# in foreign-key order
TABLES = [Category.__table__, Account.__table__, AccountDomain.__table__, account_category, Contact.__table__,
          ContactEmail.__table__, contact_category, Opportunity.__table__, OpportunityLine.__table__,
          opportunity_category, NameWord.__table__]


class Batch:
    def __init__(self, workspace_id: str, directory: "Directory"):
        self.workspace_id, self.directory = workspace_id, directory
        self.now = utcnow()
        self.rows: dict[Any, list[dict[str, Any]]] = {table: [] for table in TABLES}
        self.new_categories: dict[str, str] = {}  # casefolded name -> id, created by this file

    def _category_ids(self, wanted: list[tuple[str, str]]) -> list[str]:
        """crm.resolve_categories: the workspace's category of that name, or a new one (once per file)."""
        existing = self.directory.categories()
        ids = []
        for key, name in wanted:
            if key in existing:
                ids.append(existing[key][0])
                continue
            if key not in self.new_categories:
                self.new_categories[key] = new_id()
                self.rows[Category.__table__].append(
                    {"id": self.new_categories[key], "workspace_id": self.workspace_id, "name": name})
            ids.append(self.new_categories[key])
        return ids

    def _record(self, table, values: dict[str, Any]) -> str:
        record_id = new_id()
        self.rows[table].append({"id": record_id, "workspace_id": self.workspace_id, **values, "version": 1,
                                 "created_at": self.now, "updated_at": self.now})
        return record_id

    def _words(self, record_type: str, record_id: str, *values: str | None) -> None:
        self.rows[NameWord.__table__].extend(name_word_rows(record_type, self.workspace_id, record_id, *values))

    def add(self, kind: str, checked: "Checked", member: Member) -> str:
        """Queue a checked record; its id."""
        ws = self.workspace_id
        if kind == "accounts":
            record_id = self._record(Account.__table__, checked.values)
            self.rows[AccountDomain.__table__].extend(
                {"id": new_id(), "workspace_id": ws, "account_id": record_id, "domain": domain, "position": i}
                for i, domain in enumerate(checked.children))
            links, link_column = account_category, "account_id"
            self._words("account", record_id, checked.values["name"])
            self._words("account_domain", record_id, *checked.children)
        elif kind == "contacts":
            record_id = self._record(Contact.__table__, checked.values)
            self.rows[ContactEmail.__table__].extend(
                {"id": new_id(), "workspace_id": ws, "contact_id": record_id, "address": address, "position": i}
                for i, address in enumerate(checked.children))
            links, link_column = contact_category, "contact_id"
            self._words("contact", record_id, checked.values["display_name"])
            self._words("contact_address", record_id, *checked.children)
        else:
            record_id = self._record(Opportunity.__table__, {
                **checked.values, "created_by": member.user_id, "follow_conversations": True})
            self.rows[OpportunityLine.__table__].extend(
                {"id": new_id(), "opportunity_id": record_id, **line} for line in checked.children)
            links, link_column = opportunity_category, "opportunity_id"
            self._words("opportunity", record_id, checked.values["title"])
        self.rows[links].extend({link_column: record_id, "category_id": category_id}
                                for category_id in self._category_ids(checked.categories))
        return record_id

    def write(self, session: so.Session) -> None:
        """One INSERT per table (the driver may send a large one in pages)."""
        for table in TABLES:
            if self.rows[table]:
                session.execute(table.insert(), self.rows[table])
