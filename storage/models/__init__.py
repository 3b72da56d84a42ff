"""All Dealpane entities. Import from here so the metadata is complete."""
from .audit import AuditEvent
from .base import Base, new_id
from .crm import Account, AccountDomain, Category, Contact, ContactEmail, MarketingActivity, Product
from .directory import ROLES, Member, User, Workspace
from .history import HISTORY_KINDS, LINK_TYPES, MANUAL_KINDS, HistoryItem, HistoryLink
from .mailbox import MAILBOX_MODES, MAILBOX_STATUSES, GraphTokenCache, Mailbox, Notification, ReminderTask, SetAsideItem, Subscription, SyncCursor
from .search import NameWord
from .projects import Project, ProjectAssociation, ProjectTask, ProjectTemplate, TemplateTask
from .sales import (
    LIST_NAMES, ChecklistMark, ListValue, Opportunity, OpportunityChange, OpportunityLine, SalesActivity, SalesStage,
)

__all__ = [
    "AuditEvent", "Base", "new_id", "Account", "AccountDomain", "Category", "Contact", "ContactEmail", "MarketingActivity",
    "Product", "ROLES", "Member", "User", "Workspace", "HISTORY_KINDS", "LINK_TYPES", "MANUAL_KINDS",
    "HistoryItem", "HistoryLink", "LIST_NAMES", "ChecklistMark", "ListValue", "Opportunity", "OpportunityLine",
    "SalesActivity", "SalesStage", "OpportunityChange", "Project", "ProjectAssociation", "ProjectTask",
    "ProjectTemplate", "TemplateTask", "MAILBOX_MODES", "MAILBOX_STATUSES", "GraphTokenCache", "Mailbox",
    "SyncCursor", "SetAsideItem", "Notification", "Subscription", "ReminderTask", "NameWord",
]
