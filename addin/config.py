"""Configuration: one typed object, built from the environment in one place."""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Mapping

ENTRA_SETTINGS = ("DEALPANE_TOKEN_ISSUER", "DEALPANE_API_AUDIENCE", "DEALPANE_JWKS_URL")
DEFAULT_DB_PATH = Path("instance") / "dealpane.sqlite3"


def sqlite_url(path: str | Path) -> str:
    return f"sqlite:///{Path(path).resolve()}"


@dataclass(frozen=True)
class Config:
    database_url: str = field(default_factory=lambda: sqlite_url(DEFAULT_DB_PATH))
    auth_mode: str = "entra"  # "entra" (validate Entra tokens) or "dev" (X-Dev-User header)
    token_issuer: str | None = None
    api_audience: str | None = None
    jwks_url: str | None = None
    api_scope: str = "access_as_user"
    allowed_tenants: tuple[str, ...] = ()
    graph_base_url: str = "https://graph.microsoft.com/v1.0"
    graph_auth: str = "delegated"
    client_id: str | None = None
    client_secret: str | None = None
    tenant_id: str | None = None
    secret_key: str | None = None
    public_base_url: str | None = None
    max_body_bytes: int = 1_000_000
    graph_page_size: int = 200
    webhook_url: str | None = None
    sync_interval_seconds: int = 300
    sync_lease_seconds: int = 600
    demo: bool = False

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides) -> "Config":
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            value = env.get(f"DEALPANE_{name}")
            return value.strip() if value and value.strip() else None

        values = dict(
            database_url=get("DATABASE_URL") or sqlite_url(DEFAULT_DB_PATH),
            auth_mode=(get("AUTH_MODE") or "entra").lower(),
            token_issuer=get("TOKEN_ISSUER"),
            api_audience=get("API_AUDIENCE"),
            jwks_url=get("JWKS_URL"),
            api_scope=get("API_SCOPE") or "access_as_user",
            allowed_tenants=tuple(t.strip() for t in (get("ALLOWED_TENANTS") or "").split(",") if t.strip()),
            graph_base_url=get("GRAPH_BASE_URL") or "https://graph.microsoft.com/v1.0",
            graph_auth=(get("GRAPH_AUTH") or "delegated").lower(),
            client_id=get("CLIENT_ID"),
            client_secret=get("CLIENT_SECRET"),
            tenant_id=get("TENANT_ID"),
            secret_key=get("SECRET_KEY"),
            public_base_url=get("PUBLIC_BASE_URL"),
            max_body_bytes=int(get("MAX_BODY_BYTES") or 1_000_000),
            graph_page_size=int(get("GRAPH_PAGE_SIZE") or 200),
            webhook_url=get("WEBHOOK_URL"),
            sync_interval_seconds=int(get("SYNC_INTERVAL_SECONDS") or 300),
            sync_lease_seconds=int(get("SYNC_LEASE_SECONDS") or 600),
        )
        values.update(overrides)
        return cls(**values)

    def graph_settings(self):
        from graph_sync.clients import GraphSettings  # noqa: PLC0415 - config stays importable on its own

        return GraphSettings(base_url=self.graph_base_url, auth=self.graph_auth, client_id=self.client_id,
                             client_secret=self.client_secret, tenant_id=self.tenant_id, secret_key=self.secret_key,
                             page_size=self.graph_page_size)

    def with_(self, **changes) -> "Config":
        return replace(self, **changes)

    def missing_for_serve(self) -> list[str]:
        """What `serve` needs before it may start: Entra token validation settings."""
        if self.auth_mode == "dev":  # explicitly asked for; `serve` warns loudly
            return []
        missing = []
        if self.graph_auth == "dev":
            missing.append("DEALPANE_GRAPH_AUTH (dev tokens only work with DEALPANE_AUTH_MODE=dev)")
        for name, value in zip(ENTRA_SETTINGS, (self.token_issuer, self.api_audience, self.jwks_url)):
            if not value:
                missing.append(name)
        return missing
