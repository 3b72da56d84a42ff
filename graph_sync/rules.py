"""Which synced e-mails and meetings land in which histories, and why: pure rules on plain objects.

No database and no Graph here: `graph_sync.linker` gathers a page's `Directory` in a few queries,
asks these rules, and writes what they answer. The rules, in order:
  1. the mailbox's never-log list drops an item entirely (`blocked`);
  2. a message stamped for an opportunity (from Dealpane, or by the pane in compose) goes to it;
  3. a reply in a conversation already linked to an opportunity that follows conversations goes
     to that opportunity;
  4. from/to/with a business contact's address: the contact's history; an account's e-mail domain
     (never a free-mail one): the account's history;
  5. an item no rule targets is not stored, unless it is stored already (then it is refreshed).
A person's manual link or unlink always wins: the writer never revives a suppressed link.

Recurring meetings (`meeting_kept`): calendarView delta returns each occurrence of a series as an
item of its own, with `seriesMasterId` and an iCalUId of its own
(https://learn.microsoft.com/graph/api/resources/event, https://learn.microsoft.com/graph/delta-query-events).
History keeps each occurrence once it has started (each held meeting is an entry, with its own
changes when it is an exception), and of the occurrences still to come only the next one; a
cancelled occurrence is kept as cancelled under the same rule.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Iterable


@dataclass(frozen=True)
class Target:
    kind: str  # opportunity | account | contact
    id: str
    why: str


@dataclass
class Directory:
    """What a page's rules look up: the records of the workspace its items could concern."""

    own: str  # the mailbox's own address (never a reason to link)
    contacts: dict[str, list[str]] = field(default_factory=dict)  # address -> contact ids
    accounts: dict[str, list[str]] = field(default_factory=dict)  # e-mail domain -> account ids
    by_conversation: dict[str, list[str]] = field(default_factory=dict)  # conversationId -> opportunity ids
    opportunities: set[str] = field(default_factory=set)  # stamped opportunity ids that exist
    never_log: frozenset[str] = frozenset()


def never_log_rules(never_log: Iterable[str] | None) -> frozenset[str]:
    """"@Example.com ", "boss@x.org" -> {"example.com", "boss@x.org"}."""
    return frozenset(r.strip().lower().lstrip("@") for r in never_log or [] if r and r.strip())


def people(item: dict[str, Any], own: str = "") -> set[str]:
    """Every address of an item (sender/organizer, recipients/attendees) but the mailbox's own."""
    found = set(item.get("to_addresses") or []) | set(item.get("cc_addresses") or [])
    if item.get("from_address"):
        found.add(item["from_address"])
    found.discard(own)
    return found


def domain(address: str) -> str:
    return address.rsplit("@", 1)[-1]


def blocked(item: dict[str, Any], directory: Directory) -> bool:
    rules = directory.never_log
    if not rules:
        return False
    everyone = people(item, directory.own) | ({item["from_address"]} if item.get("from_address") else set())
    return any(p in rules or domain(p) in rules for p in everyone)


def targets(item: dict[str, Any], directory: Directory) -> list[Target]:
    """The histories `item` (message_keys/event_keys, plus "stamp") belongs in, each once, with why."""
    found: list[Target] = []
    stamp = item.get("stamp")
    if stamp and stamp in directory.opportunities:
        found.append(Target("opportunity", stamp, "sent from Dealpane for this opportunity"))
    for opportunity_id in directory.by_conversation.get(item.get("conversation_id") or "", ()):
        found.append(Target("opportunity", opportunity_id, "reply in a conversation linked to the opportunity"))
    for address in sorted(people(item, directory.own)):
        role = "from" if address == item.get("from_address") else "with"
        for contact_id in directory.contacts.get(address, ()):
            found.append(Target("contact", contact_id, f"{role} contact {address}"))
        for account_id in directory.accounts.get(domain(address), ()):
            found.append(Target("account", account_id, f"e-mail domain {domain(address)}"))
    unique, seen = [], set()
    for target in found:
        if (target.kind, target.id) not in seen:
            seen.add((target.kind, target.id))
            unique.append(Target(target.kind, target.id, target.why[:200]))
    return unique


def is_occurrence(item: dict[str, Any]) -> bool:
    return bool(item.get("series_id")) or item.get("type") in ("occurrence", "exception")


def is_sparse_occurrence(raw: dict[str, Any]) -> bool:
    """A Graph event as calendarView delta sends an occurrence: no subject, attendees or iCalUId
    (microsoftgraph/microsoft-graph-docs#7632), to be fetched whole."""
    return raw.get("type") == "occurrence" and "iCalUId" not in raw and "attendees" not in raw


def meeting_kept(item: dict[str, Any], now: dt.datetime, next_upcoming: dt.datetime | None) -> bool:
    """Whether history shows this meeting. `next_upcoming`: the start of the next occurrence of its
    series still to come, of those known (stored or on this page); None when none is known."""
    if item.get("type") == "seriesMaster":
        return False  # the series itself is not a meeting anyone held; its occurrences are
    if not is_occurrence(item):
        return True
    start = item.get("starts_at")
    if start is None or start <= now:
        return True  # started or held
    return next_upcoming is not None and start <= next_upcoming


def next_upcoming(items: Iterable[dict[str, Any]], stored: dict[str, dt.datetime], now: dt.datetime
                  ) -> dict[str, dt.datetime]:
    """Per series: the earliest start still to come, among this page's occurrences and the stored
    ones (`stored`: series id -> earliest stored start after now)."""
    found = dict(stored)
    for item in items:
        series, start = item.get("series_id"), item.get("starts_at")
        if series and start is not None and start > now and not item.get("cancelled"):
            if series not in found or start < found[series]:
                found[series] = start
    return found
