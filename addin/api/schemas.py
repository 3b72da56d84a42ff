"""Request and response shapes of REST API v1 (pydantic). The OpenAPI document is generated from them."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal, Optional

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from storage import limits

Id = Annotated[str, Field(min_length=1, max_length=64)]
MoneyIn = Annotated[Decimal, Field(allow_inf_nan=False, description="Decimal string with at most two places, e.g. \"1250.00\"")]
MoneyOut = Annotated[str, Field(pattern=r"^-?\d+\.\d{2}$", examples=["1250.00"])]
Text = Annotated[str, Field(max_length=limits.LONG_TEXT)]
Names = Annotated[list[Annotated[str, Field(max_length=200)]], Field(max_length=100)]
# An address is at most 320 characters (RFC 5321 4.5.3.1: 64 for the local part, "@", 255 for the
# domain); checked by the schema before any service looks at it.
Email = Annotated[str, Field(max_length=limits.EMAIL_ADDRESS,
                                  description=f"e-mail address, at most {limits.EMAIL_ADDRESS} characters")]
# Recipients of one message or meeting request (to and cc together, or the attendees). Exchange Online
# allows at most 1,000 per message, and a tenant may set less (RecipientLimits 1-1000, formerly a fixed
# 500): https://learn.microsoft.com/office365/servicedescriptions/exchange-online-service-description/exchange-online-limits#sending-limits-1
# A mail to a deal's customer needs far fewer; 100 stays under every tenant's default.
MAX_RECIPIENTS = 100


class Input(BaseModel):
    """Request bodies: unknown fields are refused (a typo must not be silently dropped),
    but the read-only fields of a record fetched with GET may be sent back and are ignored."""

    model_config = ConfigDict(extra="forbid")
    read_only_fields: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="before")
    @classmethod
    def _drop_read_only(cls, data: Any) -> Any:
        ignored = cls.read_only_fields
        if isinstance(data, dict) and ignored:
            return {k: v for k, v in data.items() if k not in ignored}
        return data


RECORD_META = frozenset({"id", "created_at", "updated_at", "version"})


class Query(BaseModel):
    """Query-string models. flask-openapi3 asks for the JSON schema of the query model on every
    request; it never changes, so it is computed once per class."""

    @classmethod
    def model_json_schema(cls, *args, **kwargs):
        if args or kwargs:  # the OpenAPI document's own calls: fresh, it may edit what it gets
            return super().model_json_schema(*args, **kwargs)
        cached = _QUERY_SCHEMAS.get(cls)
        if cached is None:
            cached = _QUERY_SCHEMAS[cls] = super().model_json_schema()
        return cached


_QUERY_SCHEMAS: dict = {}


class Problem(BaseModel):
    type: str = "about:blank"
    title: str
    status: int
    detail: str = ""
    errors: list[dict[str, str]] = []


# ---- workspaces ----------------------------------------------------------------------------

LANGUAGE_HELP = "a language Dealpane speaks, as a two-letter code: \"en\" or \"fr\""
Language = Annotated[str, Field(max_length=8, description=LANGUAGE_HELP, examples=["fr"])]


class WorkspaceIn(Input):
    name: Optional[str] = Field(default=None, max_length=limits.NAME)
    currency: Optional[str] = Field(default=None, max_length=3)
    language: Optional[Language] = Field(default=None, description=(
        f"The language its default stages and lists are created in and that it shows by default: "
        f"{LANGUAGE_HELP}; default the request's language (Accept-Language)."))


class WorkspaceOut(BaseModel):
    id: str
    name: str
    currency: str
    language: Language
    role: Literal["owner", "member"]


class UserOut(BaseModel):
    id: str
    email: str
    display_name: str
    language: Optional[Language] = Field(description=(
        f"The language the user chose: {LANGUAGE_HELP}; null: follow the browser (Accept-Language)."))


class MeOut(BaseModel):
    user: UserOut
    workspaces: list[WorkspaceOut]


class MePatch(Input):
    read_only_fields = frozenset({"id", "email", "display_name"})
    language: Optional[Language] = Field(default=None, description=(
        f"The language the user wants the workspace in: {LANGUAGE_HELP}; null: follow the browser."))


class MemberIn(Input):
    email: Optional[str] = Field(default=None, max_length=limits.EMAIL_ADDRESS)
    role: Literal["owner", "member"] = "member"
    tenant: Optional[str] = Field(default=None, max_length=36, description=(
        "Entra mode: the tenant id (GUID) whose user may accept the invitation; default the workspace's "
        "tenant. Only a token of that tenant whose verified username is `email` accepts it."))


class MemberOut(BaseModel):
    user_id: str
    email: str
    display_name: str
    role: Literal["owner", "member"]


class MemberList(BaseModel):
    items: list[MemberOut]


# ---- accounts, contacts, marketing activities, products --------------------------------------

class AccountIn(Input):
    read_only_fields = RECORD_META
    name: Optional[str] = Field(default=None, max_length=limits.NAME)
    email_domains: Optional[list[Annotated[str, Field(max_length=limits.DOMAIN_NAME)]]] = Field(default=None, max_length=50)
    phone: Optional[str] = Field(default=None, max_length=limits.PHONE)
    web_site: Optional[str] = Field(default=None, max_length=limits.WEB_SITE)
    address: Optional[str] = Field(default=None, max_length=limits.POSTAL_ADDRESS)
    categories: Optional[Names] = None


class AccountOut(BaseModel):
    id: str
    name: str
    email_domains: list[str]
    phone: Optional[str]
    web_site: Optional[str]
    address: Optional[str]
    categories: list[str]
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int


class ContactIn(Input):
    read_only_fields = RECORD_META | {"account_name"}
    display_name: Optional[str] = Field(default=None, max_length=limits.NAME)
    email_addresses: Optional[list[Email]] = Field(default=None, max_length=50)
    account_id: Optional[Id] = None
    job_title: Optional[str] = Field(default=None, max_length=limits.NAME)
    phone: Optional[str] = Field(default=None, max_length=limits.PHONE)
    categories: Optional[Names] = None


class ContactOut(BaseModel):
    id: str
    display_name: str
    email_addresses: list[str]
    account_id: Optional[str]
    account_name: Optional[str]
    job_title: Optional[str]
    phone: Optional[str]
    categories: list[str]
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int


class MarketingActivityIn(Input):
    read_only_fields = RECORD_META | {"opportunity_count", "pipeline_total", "won_count", "won_total"}
    name: Optional[str] = Field(default=None, max_length=limits.NAME)
    kind: Optional[str] = Field(default=None, max_length=limits.LIST_VALUE)
    start_date: Optional[dt.date] = None
    end_date: Optional[dt.date] = None


class MarketingActivityOut(BaseModel):
    id: str
    name: str
    kind: Optional[str]
    start_date: Optional[dt.date]
    end_date: Optional[dt.date]
    opportunity_count: Optional[int] = None
    pipeline_total: Optional[MoneyOut] = None
    won_count: Optional[int] = None
    won_total: Optional[MoneyOut] = None
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int


class ProductIn(Input):
    read_only_fields = RECORD_META
    name: Optional[str] = Field(default=None, max_length=limits.NAME)
    description: Optional[str] = Field(default=None, max_length=limits.DESCRIPTION)
    unit_price: Optional[MoneyIn] = None


class ProductOut(BaseModel):
    id: str
    name: str
    description: Optional[str]
    unit_price: MoneyOut
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int


# ---- opportunities -------------------------------------------------------------------------

class LinkIn(Input):
    read_only_fields = frozenset({"name"})
    type: Literal["account", "contact"]
    id: Id


class InitiatorIn(Input):
    read_only_fields = frozenset({"name"})
    type: Literal["account", "contact", "marketing_activity"]
    id: Id


class LineIn(Input):
    read_only_fields = frozenset({"amount"})
    id: Optional[Id] = None
    product_id: Optional[Id] = None
    name: Optional[str] = Field(default=None, max_length=limits.NAME)
    description: Optional[str] = Field(default=None, max_length=limits.DESCRIPTION)
    quantity: Annotated[Decimal, Field(allow_inf_nan=False)] = Decimal(1)
    unit_price: Optional[MoneyIn] = None
    discount_percent: Annotated[Decimal, Field(allow_inf_nan=False)] = Decimal(0)


class ChecklistMarkIn(Input):
    read_only_fields = frozenset({"name", "due_date"})
    activity_id: Id
    done: bool


OPPORTUNITY_READ_ONLY = RECORD_META | {
    "expected_revenue", "total", "status", "read_only", "stage_name", "assigned_to_name", "link_name", "currency",
    "projects",
}


class OpportunityPatch(Input):
    read_only_fields = OPPORTUNITY_READ_ONLY
    title: Optional[str] = Field(default=None, max_length=limits.NAME)
    assigned_to: Optional[Id] = None
    type: Optional[str] = Field(default=None, max_length=limits.LIST_VALUE)
    link: Optional[LinkIn] = None
    probability: Optional[Annotated[int, Field(ge=0, le=100)]] = None
    close_date: Optional[dt.date] = None
    payment_terms: Optional[str] = Field(default=None, max_length=limits.LIST_VALUE)
    expiration_date: Optional[dt.date] = None
    delivery_date: Optional[dt.date] = None
    lines: Optional[list[LineIn]] = Field(default=None, max_length=500)
    source: Optional[str] = Field(default=None, max_length=limits.LIST_VALUE)
    initiated_by: Optional[InitiatorIn] = None
    competitors: Optional[str] = Field(default=None, max_length=limits.DESCRIPTION)
    close_reason: Optional[str] = Field(default=None, max_length=limits.LIST_VALUE, description=(
        "Why it was won or lost: a value of the close_reason list (`…/lists/close_reason`). Given when the deal "
        "is closed (with `stage_id` of Closed Won/Lost), or on its own on a closed deal; null clears it. "
        "Kept when the deal is reopened."))
    stage_id: Optional[Id] = None
    activities: Optional[list[ChecklistMarkIn]] = Field(default=None, max_length=200)
    reminder_at: Optional[AwareDatetime] = None
    comments: Optional[Text] = None
    categories: Optional[Names] = None


class OpportunityIn(OpportunityPatch):
    title: Optional[str] = Field(max_length=limits.NAME)
    link: LinkIn


class LinkOut(BaseModel):
    type: Literal["account", "contact"]
    id: str
    name: str


class InitiatorOut(BaseModel):
    type: Literal["account", "contact", "marketing_activity"]
    id: str


class LineOut(BaseModel):
    id: str
    product_id: Optional[str]
    name: str
    description: Optional[str]
    quantity: str
    unit_price: MoneyOut
    discount_percent: str
    amount: MoneyOut


class ProjectRef(BaseModel):
    id: str
    name: str


class ChecklistItemOut(BaseModel):
    activity_id: str
    name: str
    done: bool
    due_date: Optional[dt.date]


class OpportunityOut(BaseModel):
    id: str
    title: str
    assigned_to: Optional[str]
    assigned_to_name: Optional[str]
    type: Optional[str]
    link: LinkOut
    probability: int
    expected_revenue: MoneyOut
    total: MoneyOut
    currency: str
    close_date: Optional[dt.date]
    payment_terms: Optional[str]
    expiration_date: Optional[dt.date]
    delivery_date: Optional[dt.date]
    lines: list[LineOut]
    source: Optional[str]
    initiated_by: Optional[InitiatorOut]
    competitors: Optional[str]
    close_reason: Optional[str] = Field(description="a value of the close_reason list: why it was won or lost")
    stage_id: Optional[str]
    stage_name: Optional[str]
    status: Literal["open", "won", "lost"]
    activities: list[ChecklistItemOut]
    reminder_at: Optional[dt.datetime]
    comments: str
    categories: list[str]
    read_only: bool
    projects: list[ProjectRef]
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int


class OpportunityList(BaseModel):
    items: list[OpportunityOut]
    next_cursor: Optional[str]


class BulkAssignIn(Input):
    ids: list[Id] = Field(min_length=1, max_length=500)
    assigned_to: Optional[Id]


class BulkCloseIn(Input):
    ids: list[Id] = Field(min_length=1, max_length=500)
    outcome: Literal["won", "lost"]
    close_date: Optional[dt.date] = None
    close_reason: Optional[str] = Field(default=None, max_length=limits.LIST_VALUE,
                                        description="a value of the close_reason list, set on every deal closed")


class BulkFailure(BaseModel):
    id: str
    status: int
    detail: str


class BulkOut(BaseModel):
    updated: list[str]
    failed: list[BulkFailure]


class ReopenIn(Input):
    stage_id: Id
    probability: Optional[Annotated[int, Field(ge=0, le=100)]] = None


class CommentIn(Input):
    text: Optional[str] = Field(default=None, max_length=limits.COMMENT)
    timestamp: bool = True
    time_zone: Optional[str] = Field(default=None, max_length=64, description="IANA zone; default: the user's")


# ---- lists and stages ------------------------------------------------------------------------

class ListOut(BaseModel):
    values: list[str]


class ListIn(Input):
    values: list[Annotated[str, Field(max_length=limits.LIST_VALUE)]] = Field(max_length=200)
    rename: Optional[dict[str, Annotated[str, Field(max_length=limits.LIST_VALUE)]]] = Field(
        default=None, max_length=200, description='{"old": "new"}: renamed on every record that uses the value')


class ActivityOut(BaseModel):
    id: str
    name: str
    position: int
    duration_days: int
    reminder: bool


class StageOut(BaseModel):
    id: str
    name: str
    position: int
    is_default: bool
    built_in: bool
    outcome: Optional[Literal["won", "lost"]]
    activities: list[ActivityOut]


class StageList(BaseModel):
    items: list[StageOut]


# ---- history ---------------------------------------------------------------------------------

class FileIn(Input):
    name: str = Field(max_length=limits.FILE_NAME)
    url: str = Field(max_length=limits.URL)


class LinkItemIn(Input):
    item_id: str = Field(min_length=1, max_length=1000)
    item_id_format: Literal["ews", "rest", "immutable"] = "ews"
    item_type: Literal["message", "event"] = "message"


class HistoryIn(Input):
    kind: Literal["note", "phone_log", "task", "file"]
    subject: Optional[str] = Field(default=None, max_length=limits.SUBJECT)
    body: Optional[Text] = None
    occurred_at: Optional[AwareDatetime] = None
    duration_minutes: Optional[int] = None
    direction: Optional[Literal["incoming", "outgoing"]] = None
    due_date: Optional[dt.date] = None
    done: Optional[bool] = None
    file: Optional[FileIn] = None


class AttachmentOut(BaseModel):
    """An e-mail's attachment as Microsoft Graph lists it; its content is opened from the mailbox on demand."""
    id: str
    name: str
    size: int = Field(description="Graph's size in bytes (what the mailbox counts; the download may differ a little)")
    content_type: Optional[str]
    is_inline: bool = Field(description="an image shown in the body (a logo, a signature)")


class GraphRefOut(BaseModel):
    id: Optional[str]
    internet_message_id: Optional[str]
    web_link: Optional[str]
    change_key: Optional[str]


class RecordRef(BaseModel):
    type: Literal["opportunity", "account", "contact"]
    id: str


class HistoryOut(BaseModel):
    id: str
    kind: Literal["note", "phone_log", "task", "file", "email", "appointment"]
    subject: str
    occurred_at: dt.datetime
    summary: str
    body: Optional[str]
    duration_minutes: Optional[int]
    direction: Optional[str]
    due_date: Optional[dt.date]
    done: bool
    file: Optional[dict[str, Optional[str]]]
    graph: Optional[GraphRefOut]
    links: list[RecordRef]
    removed_in_mailbox: bool
    cancelled: bool = Field(default=False, description="a meeting (or one occurrence of a series) its organizer cancelled")
    attachments: Optional[list[AttachmentOut]] = Field(
        default=None, description="an e-mail's attachments; null: none known yet (GET …/history/{id}/attachments "
                                  "asks the mailbox), [] none")
    created_at: dt.datetime
    version: int


class HistoryList(BaseModel):
    items: list[HistoryOut]
    next_cursor: Optional[str]


# ---- search and context ----------------------------------------------------------------------

class SearchHit(BaseModel):
    type: Literal["account", "contact", "opportunity", "marketing_activity"]
    id: str
    name: str
    detail: str


class SearchOut(BaseModel):
    items: list[SearchHit]


class OpportunitySummary(BaseModel):
    id: str
    title: str
    link: LinkOut
    stage_id: Optional[str]
    stage_name: Optional[str]
    status: Literal["open", "won", "lost"]
    probability: int
    total: MoneyOut
    expected_revenue: MoneyOut
    close_date: Optional[dt.date]
    assigned_to: Optional[str]


class ContactSummary(BaseModel):
    id: str
    display_name: str
    email_addresses: list[str]
    account_id: Optional[str]
    job_title: Optional[str]


class AccountSummary(BaseModel):
    id: str
    name: str
    email_domains: list[str]


class ContextOut(BaseModel):
    linked_opportunities: list[OpportunitySummary]
    linked_items: list[str] = Field(description="ids of the history items this mail item already is")
    matched_contacts: list[ContactSummary]
    matched_accounts: list[AccountSummary]
    open_opportunities: list[OpportunitySummary]
    currency: str


# ---- query strings ---------------------------------------------------------------------------

class PageQuery(Query):
    limit: int = Field(default=50, ge=1, le=500)
    cursor: Optional[str] = Field(default=None, max_length=1000)


class NamedListQuery(PageQuery):
    q: Optional[str] = Field(default=None, max_length=200)


class OpportunityQuery(PageQuery):
    stage_id: Optional[str] = Field(default=None, max_length=64)
    status: Optional[Literal["open", "won", "lost"]] = None
    assigned_to: Optional[str] = Field(default=None, max_length=64)
    link_type: Optional[Literal["account", "contact"]] = None
    link_id: Optional[str] = Field(default=None, max_length=64)
    q: Optional[str] = Field(default=None, max_length=200)
    close_before: Optional[dt.date] = None
    close_after: Optional[dt.date] = None
    category: Optional[str] = Field(default=None, max_length=limits.LIST_VALUE)
    sort: str = Field(default="-updated_at", max_length=40)


class SearchQuery(Query):
    q: str = Field(min_length=1, max_length=200)
    types: str = Field(default="account,contact,opportunity", max_length=100)
    limit: int = Field(default=20, ge=1, le=100)


class ContextQuery(Query):
    internet_message_id: Optional[str] = Field(default=None, max_length=500)
    item_id: Optional[str] = Field(default=None, max_length=500)
    item_id_format: Optional[Literal["ews", "rest", "immutable"]] = None
    # from/to/cc: comma-separated addresses; "from" is a Python keyword
    from_: Optional[str] = Field(default=None, alias="from", max_length=2000)
    to: Optional[str] = Field(default=None, max_length=20_000)
    cc: Optional[str] = Field(default=None, max_length=20_000)

