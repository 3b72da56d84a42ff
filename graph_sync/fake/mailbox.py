"""One user's mailbox held in memory: mail folders, messages, calendar events, To Do lists and tasks.

Every change takes the next number of one mailbox-wide sequence and is remembered per item
(and, for removals and moves out of a folder, as a tombstone in the scope it left). Delta
rounds ask "what changed in this scope after sequence N", which is all a delta token needs to
hold. Stored item dicts are never modified in place, only replaced, so a delta round can keep
references to them as a consistent snapshot.
"""
from __future__ import annotations

import copy
import threading
from dataclasses import dataclass
from typing import Iterable

from . import defaults, ids, recurrence, routes_attachments

KINDS = ("message", "event", "task")
# The copy in Sent Items has no internet headers, whoever set them (Graph on the draft, an add-in in
# compose): https://github.com/microsoftgraph/microsoft-graph-docs/issues/2716,
# https://github.com/microsoftgraph/microsoft-graph-docs/issues/12726,
# https://github.com/OfficeDev/office-js-docs-pr/issues/5057. Extended properties (an add-in's custom
# properties among them) stay: https://learn.microsoft.com/javascript/api/outlook/office.customproperties,
# https://github.com/microsoftgraph/microsoft-graph-docs/issues/3766.
NOT_ON_SENT_COPY = ("internetMessageHeaders",)
OUTGOING_FOLDERS = {"sentitems", "drafts", "outbox"}


@dataclass(frozen=True)
class Entry:
    data: dict
    scope: str      # the mail folder, the calendar or the To Do list holding the item
    seq: int        # sequence number of its last change
    entered: int    # sequence number at which it came into this scope


@dataclass(frozen=True)
class Change:
    op: str                 # "upsert" or "removed"
    id: str
    data: dict | None
    seq: int
    entered: int


class MailboxError(ValueError):
    """A change the mailbox cannot make (unknown folder or list, duplicate id, malformed id)."""


class Mailbox:
    def __init__(self, data: dict | None = None):
        source = copy.deepcopy(data or {})
        self.lock = threading.RLock()
        self._seq = 0
        # Told of every item change as (changeType, kind, id, scope, old scope, data or None), under
        # the lock: a listener must only take note (notify.py queues a change notification).
        self.listeners: list = []
        self.user = defaults.complete_user(source.get("user"))
        self._seed = str(self.user.get("mail") or self.user["id"])
        self._folders: dict[str, dict] = {}
        self._load_folders(source.get("mailFolders") or [])
        self.calendar = {"id": ids.new_id(f"{self._seed}/calendar"), "name": "Calendar", "color": "auto",
                         "hexColor": "", "isDefaultCalendar": True, "changeKey": defaults.change_key(self._seed),
                         "canShare": True, "canViewPrivateItems": True, "canEdit": True,
                         "owner": {"name": self.user.get("displayName"), "address": self.user.get("mail")}}
        self._entries: dict[str, dict[str, Entry]] = {kind: {} for kind in KINDS}
        self._tombstones: dict[str, list[tuple[int, str, str]]] = {kind: [] for kind in KINDS}
        self._lists: dict[str, dict] = {}
        self._transactions: dict[str, str] = {}
        self._read_only: dict[str, tuple[int, int]] = {}    # message id -> (last full change, last isRead flip)
        self._former_series: dict[str, tuple[int, dict]] = {}  # deleted master id -> (seq, last data)
        for index, message in enumerate(source.get("messages") or []):
            self.add_message(message, seed=f"{self._seed}/message/{index}")
        for index, event in enumerate(source.get("events") or []):
            self.add_event(event, seed=f"{self._seed}/event/{index}")
        for index, todo_list in enumerate(source.get("todoLists") or source.get("todo_lists") or []):
            tasks = todo_list.pop("tasks", None) or []
            created = self.add_list(todo_list, seed=f"{self._seed}/list/{index}")
            for task_index, task in enumerate(tasks):
                self.add_task(created["id"], task, seed=f"{self._seed}/list/{index}/task/{task_index}")

    # -- mail folders ------------------------------------------------------------------------
    def _load_folders(self, given: list[dict]) -> None:
        root_id = ids.new_id(f"{self._seed}/folder/msgfolderroot")
        for folder in given:
            name = folder.get("wellKnownName") or folder.get("displayName") or "folder"
            folder_id = folder.get("id") or ids.new_id(f"{self._seed}/folder/{name}")
            self._check_id(folder_id)
            self._folders[folder_id] = {"displayName": folder.get("displayName") or name,
                                        "parentFolderId": root_id, "childFolderCount": 0, "isHidden": False,
                                        **folder, "id": folder_id}
        present = {str(f.get("wellKnownName", "")).lower() for f in self._folders.values()}
        for well_known, display_name in defaults.WELL_KNOWN_FOLDERS:
            if well_known not in present:
                folder_id = ids.new_id(f"{self._seed}/folder/{well_known}")
                self._folders[folder_id] = {"id": folder_id, "displayName": display_name,
                                            "parentFolderId": root_id, "childFolderCount": 0,
                                            "isHidden": False, "wellKnownName": well_known}

    def folder_id(self, ref: str | None) -> str | None:
        """A folder's id from its id or its well-known name (case-insensitive, as Graph)."""
        if ref in self._folders:
            return ref
        for folder in self._folders.values():
            if ref and str(folder.get("wellKnownName", "")).lower() == ref.lower():
                return folder["id"]
        return None

    def _well_known(self, folder_id: str) -> str:
        return str(self._folders[folder_id].get("wellKnownName", "")).lower()

    def folders(self) -> list[dict]:
        with self.lock:
            return [self.folder(folder_id) for folder_id in self._folders]

    def folder(self, ref: str) -> dict | None:
        """The folder as Graph shows it: the file's ``wellKnownName`` is not a v1.0 property."""
        with self.lock:
            folder_id = self.folder_id(ref)
            if folder_id is None:
                return None
            inside = [e.data for e in self._entries["message"].values() if e.scope == folder_id]
            shown = {k: v for k, v in self._folders[folder_id].items() if k != "wellKnownName"}
            shown["unreadItemCount"] = sum(1 for m in inside if not m.get("isRead"))
            shown["totalItemCount"] = len(inside)
            return shown

    # -- the change sequence -----------------------------------------------------------------
    @staticmethod
    def _check_id(item_id: str) -> None:
        if not ids.is_well_formed(item_id):
            raise MailboxError(f"id {item_id!r} is not in Graph's id alphabet (base64url)")

    def _put(self, kind: str, data: dict, scope: str) -> dict:
        self._seq += 1
        old = self._entries[kind].get(data["id"])
        if old is not None and old.scope != scope:
            self._tombstones[kind].append((self._seq, old.scope, data["id"]))
        entered = old.entered if old is not None and old.scope == scope else self._seq
        self._entries[kind][data["id"]] = Entry(data, scope, self._seq, entered)
        for listener in self.listeners:
            listener("created" if old is None else "updated", kind, data["id"], scope,
                     None if old is None else old.scope, data)
        return data

    def _remove(self, kind: str, item_id: str) -> None:
        old = self._entries[kind].pop(item_id)
        self._seq += 1
        self._tombstones[kind].append((self._seq, old.scope, item_id))
        for listener in self.listeners:
            listener("deleted", kind, item_id, None, old.scope, None)

    def _add(self, kind: str, data: dict, scope: str) -> dict:
        self._check_id(data["id"])
        if data["id"] in self._entries[kind]:
            raise MailboxError(f"a {kind} with id {data['id']!r} already exists")
        return self._put(kind, data, scope)

    def resolve(self, kind: str, any_id: str) -> str | None:
        """The immutable id of an item given either id form."""
        if any_id in self._entries[kind]:
            return any_id
        immutable = ids.from_rest(any_id)
        return immutable if immutable in self._entries[kind] else None

    def _entry(self, kind: str, any_id: str) -> Entry:
        immutable = self.resolve(kind, any_id)
        if immutable is None:
            raise KeyError(any_id)
        return self._entries[kind][immutable]

    def get(self, kind: str, any_id: str) -> dict | None:
        with self.lock:
            immutable = self.resolve(kind, any_id)
            return None if immutable is None else self._entries[kind][immutable].data

    def scope_of(self, kind: str, any_id: str) -> str | None:
        with self.lock:
            immutable = self.resolve(kind, any_id)
            return None if immutable is None else self._entries[kind][immutable].scope

    def items(self, kind: str, scope: str) -> list[dict]:
        with self.lock:
            entries = sorted((e for e in self._entries[kind].values() if e.scope == scope), key=lambda e: e.seq)
            return [e.data for e in entries]

    def changes(self, kind: str, scope: str, since: int | None) -> tuple[int, list[Change]]:
        """(current sequence, what a delta round for ``scope`` returns after ``since``; None = everything)."""
        with self.lock:
            live = [e for e in self._entries[kind].values() if e.scope == scope and (since is None or e.seq > since)]
            out = [Change("upsert", e.data["id"], e.data, e.seq, e.entered) for e in live]
            if since is not None:
                seen: set[str] = set()
                for seq, old_scope, item_id in reversed(self._tombstones[kind]):
                    if seq <= since:
                        break
                    current = self._entries[kind].get(item_id)
                    if old_scope == scope and item_id not in seen and (current is None or current.scope != scope):
                        seen.add(item_id)
                        out.append(Change("removed", item_id, None, seq, 0))
            out.sort(key=lambda change: change.seq)
            return self._seq, out

    def _changed(self, kind: str, any_id: str, patch: dict, scope: str | None = None,
                 drop: Iterable[str] = ()) -> dict:
        entry = self._entry(kind, any_id)
        merged = {**entry.data, **{k: v for k, v in patch.items() if k != "id"}}
        data = defaults.normalize({k: v for k, v in merged.items() if k not in drop})
        data["lastModifiedDateTime"] = defaults.iso(defaults.now())
        if kind in ("message", "event"):
            data["changeKey"] = defaults.change_key()
            data["@odata.etag"] = defaults.etag(data["changeKey"])
            if "body" in patch and "bodyPreview" not in patch:
                data["bodyPreview"] = defaults.body_preview(data.get("body"))
        else:
            data["@odata.etag"] = defaults.etag(defaults.change_key())
        return self._put(kind, data, scope or entry.scope)

    # -- messages ----------------------------------------------------------------------------
    def _resolve_folder(self, ref: str | None) -> str:
        folder_id = self.folder_id(ref or "inbox")
        if folder_id is None:
            raise MailboxError(f"no mail folder {ref!r}")
        return folder_id

    def add_message(self, message: dict, seed: str | None = None) -> dict:
        with self.lock:
            folder_id = self._resolve_folder(message.get("parentFolderId"))
            data = defaults.complete_message(message, user=self.user, folder_id=folder_id, seed=seed,
                                             is_outgoing=self._well_known(folder_id) in OUTGOING_FOLDERS)
            data = routes_attachments.prepare(data, None if seed is None else f"{seed}/attachments")
            return self._add("message", data, folder_id)

    def update_message(self, any_id: str, patch: dict) -> dict:
        with self.lock:
            entry = self._entry("message", any_id)
            folder_id = entry.scope
            if "parentFolderId" in patch:
                folder_id = self._resolve_folder(patch["parentFolderId"])
                patch = {**patch, "parentFolderId": folder_id}
            earlier = self._read_only.pop(entry.data["id"], None)
            data = self._changed("message", any_id, patch, folder_id)
            if set(patch) == {"isRead"}:
                # An isRead-only change: the next delta round shows the item partially (read_only_since).
                full = earlier[0] if earlier is not None and earlier[1] == entry.seq else entry.seq
                self._read_only[data["id"]] = (full, self._entries["message"][data["id"]].seq)
            return data

    def read_only_since(self, item_id: str) -> int | None:
        """The sequence number of a message's last change other than isRead flips, when every change
        after it only flipped isRead; else None."""
        with self.lock:
            record, entry = self._read_only.get(item_id), self._entries["message"].get(item_id)
            return record[0] if record is not None and entry is not None and record[1] == entry.seq else None

    def delete_message(self, any_id: str) -> None:
        with self.lock:
            self._remove("message", self._entry("message", any_id).data["id"])

    def _outgoing(self, message: dict, folder: str, is_draft: bool) -> dict:
        sent = defaults.iso(defaults.now())
        me = defaults.user_recipient(self.user)
        given = {k: v for k, v in message.items()
                 if k not in ("id", "internetMessageId", "changeKey", "createdDateTime", "lastModifiedDateTime")}
        return {**given, "from": given.get("from") or me, "sender": given.get("sender") or me, "isRead": True,
                "isDraft": is_draft, "receivedDateTime": sent, "sentDateTime": sent, "parentFolderId": folder}

    def create_draft(self, message: dict) -> dict:
        return self.add_message(self._outgoing(message, "drafts", True))

    def send_mail(self, message: dict, save_to_sent_items: bool) -> dict:
        outgoing = {k: v for k, v in self._outgoing(message, "sentitems", False).items() if k not in NOT_ON_SENT_COPY}
        if not save_to_sent_items:
            folder_id = self._resolve_folder("sentitems")
            return defaults.complete_message(outgoing, user=self.user, folder_id=folder_id, is_outgoing=True,
                                             seed=None)
        return self.add_message(outgoing)

    def send_draft(self, any_id: str) -> dict:
        """The draft moves to Sent Items keeping its immutable id, as Graph does, without its headers."""
        sent = defaults.iso(defaults.now())
        with self.lock:
            folder_id = self._resolve_folder("sentitems")
            return self._changed("message", any_id, {"isDraft": False, "sentDateTime": sent, "receivedDateTime": sent,
                                                     "parentFolderId": folder_id}, folder_id, drop=NOT_ON_SENT_COPY)

    # -- events ------------------------------------------------------------------------------
    def add_event(self, event: dict, seed: str | None = None) -> dict:
        """An event; with a ``recurrence`` it is a series master (recurrence.py)."""
        with self.lock:
            data = recurrence.prepare(defaults.complete_event(event, user=self.user, seed=seed), self._seq + 1)
            added = self._add("event", data, self.calendar["id"])
            if added.get("transactionId"):
                self._transactions[added["transactionId"]] = added["id"]
            return added

    def create_event(self, event: dict) -> tuple[dict, bool]:
        """(event, created): a repeated ``transactionId`` returns the event it created before."""
        with self.lock:
            earlier = self._transactions.get(event.get("transactionId") or "")
            if earlier is not None and earlier in self._entries["event"]:
                return self._entries["event"][earlier].data, False
            fresh = {k: v for k, v in event.items() if k not in ("id", "iCalUId", "changeKey", "createdDateTime")}
            return self.add_event(fresh), True

    def update_event(self, any_id: str, patch: dict) -> dict:
        """Changes an event, a series master (all its plain occurrences change) or, given an occurrence
        id, that one occurrence (it becomes an exception)."""
        with self.lock:
            found = self._occurrence_of(any_id)
            if found is not None:
                master, day = found
                changed = recurrence.with_exception(master, day, patch, self._seq + 1)
                self._put("event", changed, self._entries["event"][master["id"]].scope)
                return recurrence.occurrence(changed, day)
            old = self._entry("event", any_id).data
            return self._changed("event", any_id, recurrence.master_patch(old, patch, self._seq + 1))

    def delete_event(self, any_id: str) -> None:
        """Deletes an event or a whole series; given an occurrence id, only that occurrence."""
        with self.lock:
            found = self._occurrence_of(any_id)
            if found is not None:
                master, day = found
                self._put("event", recurrence.with_cancelled(master, day, self._seq + 1),
                          self._entries["event"][master["id"]].scope)
                return
            data = self._entry("event", any_id).data
            self._remove("event", data["id"])
            if recurrence.is_master(data):
                self._former_series[data["id"]] = (self._seq, data)

    def occurrence_id(self, master_id: str, day) -> str:
        """The (immutable) id of a series' occurrence on ``day`` (a date or "YYYY-MM-DD")."""
        with self.lock:
            master = self._entry("event", master_id).data
            return recurrence.occurrence_id(master["id"], day)

    def _occurrence_of(self, any_id: str) -> tuple[dict, "recurrence.dt.date"] | None:
        """(master, date) when ``any_id`` names a live occurrence; KeyError for a gone one."""
        if self.resolve("event", any_id) is not None:
            return None
        found = [p for p in (recurrence.parse_occurrence_id(i) for i in (any_id, ids.from_rest(any_id)) if i) if p]
        if not found:
            return None
        master_id, day = next((p for p in found if p[0] in self._entries["event"]), found[0])
        entry = self._entries["event"].get(master_id)
        if entry is None or not recurrence.has_occurrence(entry.data, day):
            raise KeyError(any_id)
        return entry.data, day

    def get_occurrence(self, any_id: str) -> dict | None:
        """The occurrence or exception named by ``any_id``; None when there is none (or it was
        cancelled or deleted)."""
        with self.lock:
            try:
                found = self._occurrence_of(any_id)
            except KeyError:
                return None
            return None if found is None else recurrence.occurrence(*found)

    def former_series(self, master_id: str) -> tuple[int, dict] | None:
        with self.lock:
            return self._former_series.get(master_id)

    def cancelled_by_organizer(self, any_id: str) -> dict:
        """What an attendee's calendar shows once the organizer cancelled a meeting or one occurrence:
        the item stays, with isCancelled true and the subject prefixed "Canceled: "
        (https://github.com/microsoftgraph/microsoft-graph-docs-contrib/issues/803)."""
        with self.lock:
            found = self._occurrence_of(any_id)
            current = recurrence.occurrence(*found) if found is not None else self._entry("event", any_id).data
            if current.get("isOrganizer"):
                raise MailboxError("the mailbox owner organizes this meeting: use DELETE or POST .../cancel")
            return self.update_event(any_id, {"isCancelled": True,
                                              "subject": "Canceled: " + str(current.get("subject") or "")})

    # -- To Do -------------------------------------------------------------------------------
    def todo_lists(self) -> list[dict]:
        with self.lock:
            return list(self._lists.values())

    def get_list(self, list_id: str) -> dict | None:
        with self.lock:
            return self._lists.get(list_id)

    def add_list(self, todo_list: dict, seed: str | None = None) -> dict:
        with self.lock:
            data = defaults.complete_list(todo_list, seed=seed)
            self._check_id(data["id"])
            if data["id"] in self._lists:
                raise MailboxError(f"a To Do list with id {data['id']!r} already exists")
            self._lists[data["id"]] = data
            return data

    def delete_list(self, list_id: str) -> None:
        """The list and its tasks go (Graph's DELETE /todo/lists/{id})."""
        with self.lock:
            if self._lists.pop(list_id, None) is None:
                raise KeyError(list_id)
            for task_id in [t for t, entry in self._entries["task"].items() if entry.scope == list_id]:
                self._remove("task", task_id)

    def _task_entry(self, list_id: str, task_id: str) -> Entry:
        entry = self._entries["task"].get(task_id)
        if entry is None or entry.scope != list_id:
            raise KeyError(task_id)
        return entry

    def get_task(self, list_id: str, task_id: str) -> dict | None:
        with self.lock:
            entry = self._entries["task"].get(task_id)
            return entry.data if entry is not None and entry.scope == list_id else None

    def add_task(self, list_id: str, task: dict, seed: str | None = None) -> dict:
        with self.lock:
            if list_id not in self._lists:
                raise MailboxError(f"no To Do list {list_id!r}")
            return self._add("task", defaults.complete_task(task, seed=seed), list_id)

    def update_task(self, list_id: str, task_id: str, patch: dict) -> dict:
        with self.lock:
            old = self._task_entry(list_id, task_id).data
            patch = dict(patch)
            if "linkedResources" in patch:
                patch["linkedResources"] = [defaults.linked_resource(r) for r in patch["linkedResources"] or []]
            if "body" in patch:
                patch.setdefault("bodyLastModifiedDateTime", defaults.iso(defaults.now()))
            status = patch.get("status", old.get("status"))
            if status == "completed" and old.get("status") != "completed" and "completedDateTime" not in patch:
                patch["completedDateTime"] = {"dateTime": defaults.now().strftime("%Y-%m-%dT00:00:00.0000000"),
                                              "timeZone": "UTC"}
            drop = ("completedDateTime",) if status != "completed" else ()
            return self._changed("task", task_id, patch, drop=drop)

    def delete_task(self, list_id: str, task_id: str) -> None:
        with self.lock:
            self._task_entry(list_id, task_id)
            self._remove("task", task_id)

    # -- export ------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """The mailbox in the mailbox-file format (immutable ids)."""
        with self.lock:
            def items(kind: str, scope: str | None = None) -> Iterable[dict]:
                entries = sorted(self._entries[kind].values(), key=lambda e: e.seq)
                return [copy.deepcopy(e.data) for e in entries if scope is None or e.scope == scope]
            return {"user": dict(self.user), "mailFolders": [dict(f) for f in self._folders.values()],
                    "messages": items("message"), "events": items("event"),
                    "todoLists": [{**copy.deepcopy(lst), "tasks": items("task", lst["id"])}
                                  for lst in self._lists.values()]}
