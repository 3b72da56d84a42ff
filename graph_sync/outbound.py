"""E-mail and meeting requests to an opportunity's customer, sent through Graph and recorded at once."""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm as so

from storage.errors import RuleViolation
from storage.i18n import _
from storage.models import Contact, ContactEmail, HistoryItem, Opportunity, User
from storage.services.crm import EMAIL_RE
from storage.services.mail import link_item, upsert_mail_item
from storage.services.opportunities import refuse_if_read_only
from storage.services.validation import Problems, require_text

from .port import EventSpec, GraphClient, GraphError
from .records import event_fields, message_fields
from .stamp import StampedMail
from .timezones import zone_info

OPPORTUNITY_PROPERTY = "DealpaneOpportunity"
TRANSACTION_NAMESPACE = uuid.UUID("0b7f7d1e-5c55-4a4e-9d65-6b0b1c1d2e3f")
MAX_MEETING = dt.timedelta(days=14)


class SendFailed(Exception):
    """The draft exists but sending it failed: it stays in Drafts, nothing was sent twice."""

    def __init__(self, detail: str, draft_id: str | None):
        super().__init__(detail)
        self.detail, self.draft_id = detail, draft_id


def default_recipients(session: so.Session, opportunity: Opportunity, given: list[str] | None,
                       field: str) -> list[tuple[str, str]]:
    """The people to write to: those given, else the linked contact (an account has no address
    of its own: the user picks its contacts)."""
    problems = Problems()
    if given:
        result = []
        for i, address in enumerate(given):
            address = (address or "").strip().lower()
            if not EMAIL_RE.match(address):
                problems.add(f"{field}[{i}]", _("is not an e-mail address"))
            else:
                result.append((_contact_name(session, opportunity.workspace_id, address) or address, address))
        problems.raise_if_any()
        return result
    if opportunity.link_contact_id:
        contact = session.get(Contact, opportunity.link_contact_id)
        if contact is not None and contact.email_addresses:
            return [(contact.display_name, contact.email_addresses[0])]
        raise RuleViolation.on(field, _("the linked contact has no e-mail address; give the recipients"))
    raise RuleViolation.on(field, _("the opportunity is linked to an account: pick its contacts to write to"))


def _contact_name(session: so.Session, workspace_id: str, address: str) -> str | None:
    return session.scalar(sa.select(Contact.display_name).join(ContactEmail, ContactEmail.contact_id == Contact.id)
                          .where(ContactEmail.workspace_id == workspace_id, ContactEmail.address == address).limit(1))


def parse_local(value: Any, zone_name: str, field: str) -> dt.datetime:
    """A wall-clock time in the meeting's zone. An offset, if given, is converted into that zone."""
    zone = zone_info(zone_name)
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise RuleViolation.on(field, _("is not a date-time (YYYY-MM-DDTHH:MM)")) from None
    if not isinstance(value, dt.datetime):
        raise RuleViolation.on(field, _("is not a date-time (YYYY-MM-DDTHH:MM)"))
    if value.tzinfo is not None and zone is not None:
        value = value.astimezone(zone)
    return value.replace(tzinfo=None)


def send_meeting_request(session: so.Session, opportunity: Opportunity, user: User, client: GraphClient,
                         data: dict[str, Any]) -> tuple[HistoryItem, bool]:
    """POST /me/events with the customer as required attendee. The transactionId is derived from
    the request, so the same request sent twice creates one meeting."""
    refuse_if_read_only(opportunity)
    problems = Problems()
    subject = require_text(problems, "subject", data.get("subject"), 255)
    zone_name = data.get("time_zone") or ""
    if zone_info(zone_name) is None:
        problems.add("time_zone", _("'%(zone)s' is not a time zone Outlook knows (IANA or Windows name)",
                                    zone=zone_name))
    problems.raise_if_any()
    start = parse_local(data.get("start"), zone_name, "start")
    end = parse_local(data.get("end"), zone_name, "end")
    if end <= start:
        raise RuleViolation.on("end", _("must be after start"))
    if end - start > MAX_MEETING:
        raise RuleViolation.on("end", _("a meeting request may last at most %(days)s days", days=MAX_MEETING.days))
    attendees = default_recipients(session, opportunity, data.get("attendees"), "attendees")
    fingerprint = "|".join([opportunity.id, user.id, subject, start.isoformat(), end.isoformat(), zone_name,
                            ",".join(sorted(address for _name, address in attendees))])
    spec = EventSpec(
        subject=subject, start=start, end=end, time_zone=zone_name, attendees=attendees,
        transaction_id=str(uuid.uuid5(TRANSACTION_NAMESPACE, fingerprint)),
        body_html=data.get("body_html"), location=(data.get("location") or None),
        online_meeting=bool(data.get("online_meeting")),
        extended_properties={OPPORTUNITY_PROPERTY: opportunity.id},
    )
    event = client.create_event(spec)
    fields = event_fields(event, mailbox_address=user.email, keep_body=False)
    item, created = upsert_mail_item(session, opportunity.workspace_id, fields)
    link_item(item, opportunity_id=opportunity.id, origin="manual", reason="meeting request sent from Dealpane")
    session.flush()
    return item, created


def send_email(session: so.Session, opportunity: Opportunity, user: User, client: GraphClient,
               data: dict[str, Any]) -> HistoryItem:
    """Draft (stamped for the opportunity) -> send -> record. The send is never retried automatically;
    if it fails the draft stays and SendFailed says so.

    The stamp is the add-in's custom property (graph_sync.stamp), which the copy in Sent Items keeps, so
    the sync files that copy even when recording it here did not happen (a crash after the send). No
    x-dealpane-opportunity header: the copy in Sent Items never has internet headers
    (https://github.com/microsoftgraph/microsoft-graph-docs/issues/2716), and it would only tell the
    customer our opportunity id."""
    refuse_if_read_only(opportunity)
    problems = Problems()
    subject = require_text(problems, "subject", data.get("subject"), 255)
    body = data.get("body_html") or ""
    if len(body) > 1_000_000:
        problems.add("body_html", _("is too long"))
    problems.raise_if_any()
    to = default_recipients(session, opportunity, data.get("to"), "to")
    cc = default_recipients(session, opportunity, data.get("cc"), "cc") if data.get("cc") else []
    draft = client.create_draft(StampedMail(subject=subject, body_html=body, to=to, cc=cc,
                                            opportunity_id=opportunity.id))
    try:
        client.send_draft(draft["id"])
    except GraphError as error:
        raise SendFailed(_("The e-mail was saved in Drafts but could not be sent (%(error)s); open it in Outlook "
                           "to send it.", error=str(error)), draft.get("id")) from error
    fields = message_fields(draft, mailbox_address=user.email, keep_body=False)
    fields["direction"] = "outgoing"
    fields["occurred_at"] = fields["occurred_at"] or dt.datetime.now(dt.timezone.utc)
    fields["from_address"] = fields["from_address"] or user.email
    item, _created = upsert_mail_item(session, opportunity.workspace_id, fields)
    link_item(item, opportunity_id=opportunity.id, origin="manual", reason="e-mail sent from Dealpane")
    session.flush()
    return item
