"""Path parameter models shared by the API modules."""
from pydantic import BaseModel, Field


class WsPath(BaseModel):
    ws: str = Field(max_length=64, description="workspace id")


class WsRecordPath(WsPath):
    id: str = Field(max_length=64)


class WsMemberPath(WsPath):
    user_id: str = Field(max_length=64)


class WsListPath(WsPath):
    list_name: str = Field(max_length=40, description="type, payment_terms, source or close_reason")


class WsLinkPath(WsRecordPath):
    history_id: str = Field(max_length=64)
