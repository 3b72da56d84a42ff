"""A company for the fake Graph: a directory of salespeople whose mailboxes are made on first use.

``FakeGraph(company=Company(mailboxes=1000, messages_per_mailbox=20, seed=7))`` serves
``seller0000@contoso.com`` ... ``seller0999@contoso.com``. Users are known up front (their ids are
deterministic GUIDs); a mailbox (folders, calendar, an empty "Tasks" To Do list, generated mail)
is built the first time anything touches it, from (seed, n) alone, so the same company comes
back on every run and 1,000 mailboxes cost nothing until used.
"""
from __future__ import annotations

import datetime as dt
import random
import threading
import uuid
from dataclasses import dataclass
from typing import Callable

from .mailbox import Mailbox
from .throttling import OutlookLimits

CUSTOMER_DOMAINS = 200
NEWSLETTERS = ("news@fabrikam-weekly.example", "offers@tailspin-deals.example", "digest@industry-today.example",
               "events@expo-calendar.example")
HISTORY_DAYS = 60


def customer_addresses(count: int = 1000) -> list[str]:
    """The customers' addresses the generated mail uses: ``buyer{k}@customer{k % 200}.example``."""
    return [f"buyer{k}@customer{k % CUSTOMER_DOMAINS}.example" for k in range(count)]


def seller_upn(n: int, domain: str) -> str:
    return f"seller{n:04d}@{domain}"


@dataclass(frozen=True)
class Company:
    """`budget`: (requests, seconds) per app and mailbox, Graph's (10,000, 600) unless a test wants
    to reach it quickly; `concurrency`: Graph's 4 concurrent requests per app and mailbox."""

    mailboxes: int = 1000
    messages_per_mailbox: int = 20
    seed: int = 7
    domain: str = "contoso.com"
    customers: tuple[str, ...] | list[str] | None = None
    budget: tuple[int, float] = (10_000, 600.0)
    concurrency: int = 4

    def __post_init__(self) -> None:
        if self.mailboxes < 1 or self.messages_per_mailbox < 0:
            raise ValueError("a company has at least one mailbox and no negative message count")
        if self.customers is not None:
            object.__setattr__(self, "customers", tuple(self.customers))

    def limits(self) -> OutlookLimits:
        requests, window = self.budget
        return OutlookLimits(concurrency=self.concurrency, requests=int(requests), window=float(window))

    def user(self, n: int) -> dict:
        upn = seller_upn(n, self.domain)
        user_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"dealpane-fake-company:{self.seed}:{self.domain}:{n}"))
        return {"id": user_id, "displayName": f"Seller {n}", "givenName": "Seller", "surname": str(n),
                "mail": upn, "userPrincipalName": upn, "jobTitle": "Account Executive",
                "preferredLanguage": "en-US"}


def _messages(company: Company, n: int, user: dict, customers: tuple[str, ...], now: dt.datetime) -> list[dict]:
    rng = random.Random(f"{company.seed}/{n}")
    me = {"emailAddress": {"name": user["displayName"], "address": user["mail"]}}
    out = []
    for i in range(company.messages_per_mailbox):
        received = now - dt.timedelta(seconds=rng.randrange(1, HISTORY_DAYS * 86400))
        stamp = received.strftime("%Y-%m-%dT%H:%M:%SZ")
        if rng.random() < 0.15:  # a stranger: newsletters never go the other way
            sender = rng.choice(NEWSLETTERS)
            them = {"emailAddress": {"name": sender.split("@")[0].title(), "address": sender}}
            subject, outgoing = f"Newsletter {received:%B %d}", False
        else:
            address = rng.choice(customers)
            them = {"emailAddress": {"name": address.split("@")[0].title(), "address": address}}
            outgoing = i % 2 == 1
            subject = f"{'Re: ' if rng.random() < 0.4 else ''}Quote {rng.randrange(1000, 9999)} for {address.split('@')[1]}"
        text = (f"Hello,\n\nfollowing up on {subject.lower()}. Message {i} of seller {n}.\n\nRegards")
        message = {"subject": subject, "body": {"contentType": "text", "content": text},
                   "receivedDateTime": stamp, "sentDateTime": stamp, "isRead": outgoing or rng.random() < 0.7,
                   "parentFolderId": "sentitems" if outgoing else "inbox",
                   "from": me if outgoing else them, "sender": me if outgoing else them,
                   "toRecipients": [them if outgoing else me], "ccRecipients": [], "bccRecipients": [],
                   "replyTo": []}
        out.append(message)
    return sorted(out, key=lambda m: m["receivedDateTime"])  # oldest first, as they arrived


class Directory:
    """The users of a company and their mailboxes, each made on first use (thread-safe)."""

    def __init__(self, company: Company):
        self.company = company
        self.customers = company.customers or tuple(customer_addresses(1000))
        self._users = [company.user(n) for n in range(company.mailboxes)]
        self._index = {str(user[key]).lower(): n for n, user in enumerate(self._users)
                       for key in ("id", "userPrincipalName", "mail")}
        self._mailboxes: dict[int, Mailbox] = {}
        self._lock = threading.Lock()
        # Told of each mailbox made, under the directory's lock (notify.py listens to its changes).
        self.on_created: list[Callable[[Mailbox], None]] = []

    def __len__(self) -> int:
        return len(self._users)

    def users(self) -> list[dict]:
        return [dict(user) for user in self._users]

    def find(self, who: str) -> int | None:
        """The user's number from an id, a userPrincipalName or a mail address (case-insensitive)."""
        return self._index.get(str(who).lower())

    def user(self, who: str) -> dict | None:
        n = self.find(who)
        return None if n is None else self._users[n]

    def mailbox(self, who: str | int) -> Mailbox | None:
        n = who if isinstance(who, int) else self.find(who)
        if n is None or not 0 <= n < len(self._users):
            return None
        made = self._mailboxes.get(n)
        if made is not None:
            return made
        with self._lock:
            made = self._mailboxes.get(n)
            if made is None:
                made = self._build(n)
                for hook in self.on_created:  # before anyone else can reach it
                    hook(made)
                self._mailboxes[n] = made
        return made

    def generated(self) -> list[Mailbox]:
        with self._lock:
            return list(self._mailboxes.values())

    def watch(self, hook: Callable[[Mailbox], None]) -> None:
        """Call `hook` now for every mailbox made so far, and for each made from now on (no gap)."""
        with self._lock:
            for mailbox in self._mailboxes.values():
                hook(mailbox)
            self.on_created.append(hook)

    def unwatch(self, hook: Callable[[Mailbox], None]) -> None:
        with self._lock:
            if hook in self.on_created:
                self.on_created.remove(hook)

    def _build(self, n: int) -> Mailbox:
        user = self._users[n]
        now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
        return Mailbox({"user": dict(user), "mailFolders": [],
                        "messages": _messages(self.company, n, user, self.customers, now), "events": [],
                        "todoLists": [{"displayName": "Tasks", "wellknownListName": "defaultList", "tasks": []}]})


class SingleDirectory:
    """The directory of a one-mailbox fake: its owner, known by id, userPrincipalName or mail."""

    def __init__(self, mailbox: Mailbox):
        self._mailbox = mailbox

    def __len__(self) -> int:
        return 1

    def users(self) -> list[dict]:
        return [dict(self._mailbox.user)]

    def find(self, who: str) -> int | None:
        user = self._mailbox.user
        known = {str(user.get(k, "")).lower() for k in ("id", "userPrincipalName", "mail")}
        return 0 if str(who).lower() in known else None

    def user(self, who: str) -> dict | None:
        return self._mailbox.user if self.find(who) is not None else None

    def mailbox(self, who: str | int) -> Mailbox | None:
        return self._mailbox if who == 0 or (isinstance(who, str) and self.find(who) is not None) else None

    def generated(self) -> list[Mailbox]:
        return [self._mailbox]

    def watch(self, hook: Callable[[Mailbox], None]) -> None:
        hook(self._mailbox)

    def unwatch(self, hook: Callable[[Mailbox], None]) -> None:
        pass
