"""Accounts, business contacts, marketing activities and products: the same CRUD shape for each."""
from dataclasses import dataclass
from typing import Any, Callable, Optional

import sqlalchemy as sa
from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, create_model

from storage.models import Account, Contact, MarketingActivity, Product
from storage.services import crm as service
from storage.services.queries import list_named
from storage.services.records import get_record

from . import schemas as s
from . import serializers
from .context import check_if_match, commit, json_response, member, record_response, session
from .paths import WsPath, WsRecordPath

bp = APIBlueprint("crm", __name__, url_prefix="/api/v1/workspaces/<ws>", abp_tags=[Tag(name="crm")],
                  abp_security=[{"entra": []}, {"dev": []}])
PROBLEMS = {400: s.Problem, 401: s.Problem, 404: s.Problem, 412: s.Problem, 422: s.Problem}


@dataclass
class Resource:
    path: str  # "accounts"
    singular: str  # "account"
    cls: type
    name_column: Any
    body: type[BaseModel]
    out: type[BaseModel]
    save: Callable  # (session, workspace_id, record|None, data) -> record
    delete: Callable  # (session, record) -> None
    serialize: Callable  # (record, detailed: bool) -> dict


def _contact_out(contact: Contact, detailed: bool) -> dict:
    name = None
    if contact.account_id:
        name = session().scalar(sa.select(Account.name).where(Account.id == contact.account_id))
    return serializers.contact(contact, name)


def _marketing_out(activity: MarketingActivity, detailed: bool) -> dict:
    return serializers.marketing_activity(activity, service.marketing_results(session(), activity) if detailed else None)


RESOURCES = [
    Resource("accounts", "account", Account, Account.name, s.AccountIn, s.AccountOut, service.save_account,
             service.delete_account, lambda a, _d: serializers.account(a)),
    Resource("contacts", "contact", Contact, Contact.display_name, s.ContactIn, s.ContactOut, service.save_contact,
             service.delete_contact, _contact_out),
    Resource("marketing-activities", "marketing_activity", MarketingActivity, MarketingActivity.name,
             s.MarketingActivityIn, s.MarketingActivityOut, service.save_marketing_activity,
             service.delete_marketing_activity, _marketing_out),
    Resource("products", "product", Product, Product.name, s.ProductIn, s.ProductOut, service.save_product,
             service.delete_product, lambda p, _d: serializers.product(p)),
]


def _register(r: Resource) -> None:
    page_model = create_model(f"{r.out.__name__}Page", items=(list[r.out], ...), next_cursor=(Optional[str], None))
    body_model = r.body

    def list_records(path: WsPath, query: s.NamedListQuery):
        m = member(path.ws)
        page = list_named(session(), r.cls, r.name_column, m.workspace_id, query.q, query.cursor, query.limit)
        return json_response({"items": [r.serialize(x, False) for x in page.items], "next_cursor": page.next_cursor})

    def create_record(path: WsPath, body: body_model):  # type: ignore[valid-type]
        m = member(path.ws)
        record = r.save(session(), m.workspace_id, None, body.model_dump(exclude_unset=True))
        data = r.serialize(record, True)
        commit()
        return record_response(data, 201)

    def get_one(path: WsRecordPath):
        m = member(path.ws)
        return record_response(r.serialize(get_record(session(), r.cls, m.workspace_id, path.id), True))

    def update_record(path: WsRecordPath, body: body_model):  # type: ignore[valid-type]
        m = member(path.ws)
        record = get_record(session(), r.cls, m.workspace_id, path.id)
        check_if_match(record)
        record = r.save(session(), m.workspace_id, record, body.model_dump(exclude_unset=True))
        data = r.serialize(record, True)
        commit()
        return record_response(data)

    def delete_record(path: WsRecordPath):
        m = member(path.ws)
        record = get_record(session(), r.cls, m.workspace_id, path.id)
        check_if_match(record)
        r.delete(session(), record)
        commit()
        return "", 204

    name = r.singular
    for func, verb in ((list_records, "list"), (create_record, "create"), (get_one, "get"), (update_record, "update"),
                       (delete_record, "delete")):
        func.__name__ = f"{verb}_{name}"
        func.__qualname__ = func.__name__
        func.__doc__ = f"{verb.capitalize()} {'the ' + r.path if verb == 'list' else 'a ' + name.replace('_', ' ')}."
    bp.get(f"/{r.path}", responses={200: page_model, **PROBLEMS})(list_records)
    bp.post(f"/{r.path}", responses={201: r.out, **PROBLEMS})(create_record)
    bp.get(f"/{r.path}/<id>", responses={200: r.out, **PROBLEMS})(get_one)
    bp.patch(f"/{r.path}/<id>", responses={200: r.out, **PROBLEMS})(update_record)
    bp.delete(f"/{r.path}/<id>", responses={204: None, 409: s.Problem, **PROBLEMS})(delete_record)


for _resource in RESOURCES:
    _register(_resource)
