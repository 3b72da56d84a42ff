"""Shapes of the sales-process endpoints: stages, activities, reminders, change log, reports, projects."""
import datetime as dt
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

from storage import limits

from .schemas import RECORD_META, Id, Input, LinkIn, MoneyOut, Query


class StageIn(Input):
    name: Optional[str] = Field(max_length=limits.LIST_VALUE)
    position: Optional[int] = Field(default=None, ge=-1_000_000, le=1_000_000)


class StagePatch(Input):
    read_only_fields = frozenset({"id", "built_in", "outcome", "activities"})
    name: Optional[str] = Field(default=None, max_length=limits.LIST_VALUE)
    position: Optional[int] = Field(default=None, ge=-1_000_000, le=1_000_000)
    is_default: Optional[bool] = None


class StageDeleteQuery(Query):
    replace_with: Optional[str] = Field(default=None, max_length=64)
    move_activities: bool = False


class ActivityIn(Input):
    name: Optional[str] = Field(max_length=limits.NAME)
    duration_days: Optional[int] = Field(default=None, ge=-1_000_000, le=1_000_000)
    reminder: Optional[bool] = None
    position: Optional[int] = Field(default=None, ge=-1_000_000, le=1_000_000)


class ActivityPatch(Input):
    read_only_fields = frozenset({"id"})
    name: Optional[str] = Field(default=None, max_length=limits.NAME)
    duration_days: Optional[int] = Field(default=None, ge=-1_000_000, le=1_000_000)
    reminder: Optional[bool] = None
    position: Optional[int] = Field(default=None, ge=-1_000_000, le=1_000_000)


class ReminderQuery(Query):
    before: Optional[dt.date] = Field(default=None, description="inclusive; default today")
    assigned_to: Optional[str] = Field(default=None, max_length=64)


class ReminderOut(BaseModel):
    kind: Literal["opportunity", "activity"]
    opportunity_id: str
    title: str
    activity_id: Optional[str]
    name: str
    due: dt.date
    due_at: Optional[dt.datetime]
    overdue: bool
    assigned_to: Optional[str]


class ReminderList(BaseModel):
    items: list[ReminderOut]


class ChangeOut(BaseModel):
    id: str
    field: Literal["stage", "probability", "total", "close_date", "assigned_to", "link", "close_reason"]
    old_value: Optional[str]
    new_value: Optional[str]
    user_id: Optional[str]
    user_name: Optional[str]
    changed_at: dt.datetime


class ChangeList(BaseModel):
    items: list[ChangeOut]
    next_cursor: Optional[str]


class ReportQuery(Query):
    assigned_to: Optional[str] = Field(default=None, max_length=64)
    format: Literal["json", "csv"] = "json"


class ForecastQuery(ReportQuery):
    months: int = Field(default=6, ge=1, le=60)


class PipelineRow(BaseModel):
    stage_id: Optional[str]
    stage_name: str
    count: int
    total: MoneyOut
    expected_revenue: MoneyOut


class PipelineOut(BaseModel):
    items: list[PipelineRow]
    currency: str


class ForecastRow(BaseModel):
    month: str = Field(pattern=r"^\d{4}-\d{2}$")
    count: int
    total: MoneyOut
    expected_revenue: MoneyOut
    won_count: int
    won_total: MoneyOut


class ForecastOut(BaseModel):
    items: list[ForecastRow]
    currency: str


class CloseReasonQuery(ReportQuery):
    model_config = ConfigDict(populate_by_name=True)
    from_: Optional[dt.date] = Field(default=None, alias="from", description="first close date counted (inclusive)")
    to: Optional[dt.date] = Field(default=None, description="last close date counted (inclusive)")


class CloseReasonRow(BaseModel):
    name: Optional[str] = Field(description="the close reason or competitor; null: deals closed without a reason")
    won_count: int
    won_total: MoneyOut
    lost_count: int
    lost_total: MoneyOut


class CloseReasonsOut(BaseModel):
    reasons: list[CloseReasonRow]
    competitors: list[CloseReasonRow]
    currency: str


# ---- projects -------------------------------------------------------------------------------

class RecordRefIn(Input):
    type: Literal["account", "contact"]
    id: Id


class ProjectTaskIn(Input):
    id: Optional[Id] = None
    subject: Optional[str] = Field(default=None, max_length=limits.TASK_SUBJECT)
    assigned_to: Optional[Id] = None
    due_date: Optional[dt.date] = None
    done: bool = False


class ProjectIn(Input):
    read_only_fields = RECORD_META | {"template_id"}
    name: Optional[str] = Field(default=None, max_length=limits.NAME)
    link: Optional[LinkIn] = None
    opportunity_id: Optional[Id] = None
    assigned_to: Optional[Id] = None
    start_date: Optional[dt.date] = None
    associated: Optional[list[RecordRefIn]] = Field(default=None, max_length=200)
    tasks: Optional[list[ProjectTaskIn]] = Field(default=None, max_length=500)


class ProjectFromOpportunityIn(Input):
    template_id: Optional[Id] = None
    name: Optional[str] = Field(default=None, max_length=limits.NAME)
    link: Optional[LinkIn] = None
    start_date: Optional[dt.date] = None
    assigned_to: Optional[Id] = None


class ProjectTaskOut(BaseModel):
    id: str
    subject: str
    assigned_to: Optional[str]
    due_date: Optional[dt.date]
    done: bool


class ProjectLinkOut(BaseModel):
    type: Literal["account", "contact"]
    id: str


class ProjectOut(BaseModel):
    id: str
    name: str
    link: Optional[ProjectLinkOut]
    opportunity_id: Optional[str]
    assigned_to: Optional[str]
    start_date: Optional[dt.date]
    template_id: Optional[str]
    associated: list[ProjectLinkOut]
    tasks: list[ProjectTaskOut]
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int


class ProjectList(BaseModel):
    items: list[ProjectOut]
    next_cursor: Optional[str]


class TemplateTaskIn(Input):
    subject: Optional[str] = Field(default=None, max_length=limits.TASK_SUBJECT)
    offset_days: Optional[int] = Field(default=0, ge=-1_000_000, le=1_000_000)


class TemplateIn(Input):
    read_only_fields = RECORD_META
    name: Optional[str] = Field(default=None, max_length=limits.NAME)
    description: Optional[str] = Field(default=None, max_length=limits.DESCRIPTION)
    tasks: Optional[list[TemplateTaskIn]] = Field(default=None, max_length=200)


class TemplateTaskOut(BaseModel):
    subject: str
    offset_days: int


class TemplateOut(BaseModel):
    id: str
    name: str
    description: Optional[str]
    tasks: list[TemplateTaskOut]
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int


class TemplateList(BaseModel):
    items: list[TemplateOut]
