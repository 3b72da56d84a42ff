"""Configuration: one typed object, built from the environment in one place."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Mapping

PUBLIC_CLOUD = "https://login.microsoftonline.com"
# Entra's tenant-independent authorities: an app registered for "accounts in any organizational
# directory" signs users in through /organizations (or /common). https://learn.microsoft.com/entra/identity-platform/msal-client-application-configuration#authority
MULTI_TENANT_AUTHORITIES = ("organizations", "common")
# Until 0.2 the issuer was configured by hand; it now follows from the token's version and tenant.
RETIRED_SETTINGS = ("DEALPANE_TOKEN_ISSUER",)
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
DEFAULT_DB_PATH = Path("instance") / "dealpane.sqlite3"
TRUE_WORDS = ("1", "true", "yes", "on")


def sqlite_url(path: str | Path) -> str:
    return f"sqlite:///{Path(path).resolve()}"


@dataclass(frozen=True)
class Config:
    database_url: str = field(default_factory=lambda: sqlite_url(DEFAULT_DB_PATH))
    auth_mode: str = "entra"  # "entra" (validate Entra tokens) or "dev" (X-Dev-User header)
    api_uri: str | None = None  # the application ID URI ("Expose an API"); default api://{client_id}
    jwks_url: str | None = None  # default: the authority host's tenant-independent keys
    api_scope: str = "access_as_user"
    allowed_tenants: tuple[str, ...] = ()
    graph_base_url: str = "https://graph.microsoft.com/v1.0"
    graph_auth: str = "delegated"
    client_id: str | None = None
    client_secret: str | None = None
    tenant_id: str | None = None  # a tenant id (single-tenant) or "organizations" (multi-tenant)
    authority_host: str = PUBLIC_CLOUD
    secret_key: str | None = None
    public_base_url: str | None = None
    addin_id: str | None = None  # the manifest's add-in id, when not the one `dealpane manifest` derives
    max_body_bytes: int = 1_000_000
    max_import_bytes: int = 16_000_000  # a CSV import: 20,000 rows of up to ~800 bytes
    graph_page_size: int = 200
    webhook_url: str | None = None
    sync_interval_seconds: int = 300
    sync_lease_seconds: int = 60
    # A mailbox whose subscriptions are alive (webhook_url set) gets its full pass this often; its
    # changes arrive as notifications (graph_sync/worker.py: ~1 request per mailbox per hour idle).
    sync_safety_interval_seconds: int = 14400
    sync_concurrency: int = 4  # mailboxes one `dealpane sync` process syncs at once
    sync_poll_seconds: float = 1.0  # how often an idle worker looks for due mailboxes (PostgreSQL also LISTENs)
    demo: bool = False
    # Production entry points (`dealpane serve`, addin.wsgi:production_app) refuse dev auth and dev Graph
    # tokens unless this is set (DEALPANE_INSECURE_DEV_AUTH=1 or `serve --insecure-dev-auth`): local tests only.
    insecure_dev_auth: bool = False
    # Prometheus metrics: never on the app port unless DEALPANE_METRICS_TOKEN is set (then GET /metrics
    # with "Authorization: Bearer <token>"); DEALPANE_METRICS_BIND (host:port, read by
    # addin/gunicorn_conf.py) serves them on a listener of their own.
    metrics_token: str | None = None
    # The web tier's gunicorn settings (addin/gunicorn_conf.py reads them here, never os.environ).
    bind_host: str = "0.0.0.0"  # DEALPANE_BIND
    port: str = "5000"  # PORT
    web_concurrency: int | None = None  # WEB_CONCURRENCY: worker processes; default 2 x CPU cores + 1
    threads: int = 2  # DEALPANE_THREADS: threads per worker
    forwarded_allow_ips: str = "127.0.0.1"  # FORWARDED_ALLOW_IPS: proxies whose X-Forwarded-* gunicorn trusts
    metrics_bind: str | None = None  # DEALPANE_METRICS_BIND: host:port of the master's metrics listener
    retired_settings: tuple[str, ...] = ()  # variables set that this version no longer reads

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides) -> "Config":
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            value = env.get(f"DEALPANE_{name}")
            return value.strip() if value and value.strip() else None

        def plain(name: str) -> str | None:
            """A variable without the DEALPANE_ prefix (PORT, WEB_CONCURRENCY: the names hosts set)."""
            value = env.get(name)
            return value.strip() if value and value.strip() else None

        values = dict(
            database_url=get("DATABASE_URL") or sqlite_url(DEFAULT_DB_PATH),
            auth_mode=(get("AUTH_MODE") or "entra").lower(),
            api_uri=get("API_URI") or get("API_AUDIENCE"),  # API_AUDIENCE: the name before 0.2
            jwks_url=get("JWKS_URL"),
            api_scope=get("API_SCOPE") or "access_as_user",
            allowed_tenants=tuple(t.strip().lower() for t in (get("ALLOWED_TENANTS") or "").split(",") if t.strip()),
            graph_base_url=get("GRAPH_BASE_URL") or "https://graph.microsoft.com/v1.0",
            graph_auth=(get("GRAPH_AUTH") or "delegated").lower(),
            client_id=get("CLIENT_ID"),
            client_secret=get("CLIENT_SECRET"),
            tenant_id=get("TENANT_ID"),
            authority_host=(get("AUTHORITY_HOST") or PUBLIC_CLOUD).rstrip("/"),
            secret_key=get("SECRET_KEY"),
            public_base_url=get("PUBLIC_BASE_URL"),
            addin_id=get("ADDIN_ID"),
            max_body_bytes=int(get("MAX_BODY_BYTES") or 1_000_000),
            max_import_bytes=int(get("MAX_IMPORT_BYTES") or 16_000_000),
            graph_page_size=int(get("GRAPH_PAGE_SIZE") or 200),
            webhook_url=get("WEBHOOK_URL"),
            sync_interval_seconds=int(get("SYNC_INTERVAL_SECONDS") or 300),
            sync_lease_seconds=int(get("SYNC_LEASE_SECONDS") or 60),
            sync_safety_interval_seconds=int(get("SYNC_SAFETY_INTERVAL_SECONDS") or 14400),
            sync_concurrency=int(get("SYNC_CONCURRENCY") or 4),
            sync_poll_seconds=float(get("SYNC_POLL_SECONDS") or 1.0),
            insecure_dev_auth=(get("INSECURE_DEV_AUTH") or "").lower() in TRUE_WORDS,
            metrics_token=get("METRICS_TOKEN"),
            bind_host=get("BIND") or "0.0.0.0",
            port=plain("PORT") or "5000",
            web_concurrency=int(plain("WEB_CONCURRENCY")) if plain("WEB_CONCURRENCY") else None,
            threads=int(get("THREADS") or 2),
            forwarded_allow_ips=plain("FORWARDED_ALLOW_IPS") or "127.0.0.1",
            metrics_bind=get("METRICS_BIND"),
        )
        values["retired_settings"] = tuple(name for name in RETIRED_SETTINGS if get(name.removeprefix("DEALPANE_")))
        values.update(overrides)
        return cls(**values)

    @property
    def multi_tenant(self) -> bool:
        return (self.tenant_id or "").lower() in MULTI_TENANT_AUTHORITIES

    @property
    def api_resource(self) -> str | None:
        """The application ID URI scopes are named under (Entra proposes api://{client id})."""
        if self.api_uri:
            return self.api_uri.rstrip("/")
        return f"api://{self.client_id}" if self.client_id else None

    @property
    def api_scope_uri(self) -> str | None:
        """The scope the pane and the workspace ask Entra for, e.g. api://host/{client id}/access_as_user."""
        return f"{self.api_resource}/{self.api_scope}" if self.api_resource else None

    @property
    def spa_authority(self) -> str:
        """Where MSAL.js signs users in: the tenant, or /organizations for a multi-tenant app (the user's
        own tenant is not known before sign-in)."""
        tenant = "organizations" if self.multi_tenant or not self.tenant_id else self.tenant_id
        return f"{self.authority_host}/{tenant}"

    @property
    def signing_keys_url(self) -> str:
        """Entra's tenant-independent keys (they sign v1.0 and v2.0 tokens alike):
        https://learn.microsoft.com/entra/identity-platform/access-tokens#validate-the-issuer"""
        return self.jwks_url or f"{self.authority_host}/common/discovery/v2.0/keys"

    @property
    def outlook_addin_id(self) -> str | None:
        """The add-in's id in its manifests: DEALPANE_ADDIN_ID, else the one `dealpane manifest` derives
        from the base URL (DEALPANE_PUBLIC_BASE_URL). The sync reads the pane's stamp under it."""
        from manifest.settings import ManifestError, check_guid, default_app_id  # noqa: PLC0415

        try:
            if self.addin_id:
                return check_guid(self.addin_id, "DEALPANE_ADDIN_ID")
            return default_app_id(self.public_base_url) if self.public_base_url else None
        except ManifestError:  # not a GUID, or a base URL no manifest can have (http://): no stamp
            return None

    def graph_settings(self):
        from graph_sync.clients import GraphSettings  # noqa: PLC0415 - config stays importable on its own

        return GraphSettings(base_url=self.graph_base_url, auth=self.graph_auth, client_id=self.client_id,
                             client_secret=self.client_secret, tenant_id=self.tenant_id, secret_key=self.secret_key,
                             page_size=self.graph_page_size, authority_host=self.authority_host,
                             addin_id=self.outlook_addin_id)

    def with_(self, **changes) -> "Config":
        return replace(self, **changes)

    @property
    def uses_dev_auth(self) -> bool:
        """X-Dev-User callers or the fixed dev Graph token: anyone can act as anyone."""
        return self.auth_mode == "dev" or self.graph_auth == "dev"

    def missing_for_serve(self) -> list[str]:
        """What a production entry point (`serve`, addin.wsgi:production_app) needs before it may start:
        Entra token validation settings. Dev auth (DEALPANE_AUTH_MODE=dev, DEALPANE_GRAPH_AUTH=dev) is
        refused unless DEALPANE_INSECURE_DEV_AUTH=1 (`serve --insecure-dev-auth`) says it is a local test."""
        if self.uses_dev_auth and not self.insecure_dev_auth:
            names = [name for name, on in (("DEALPANE_AUTH_MODE=dev", self.auth_mode == "dev"),
                                           ("DEALPANE_GRAPH_AUTH=dev", self.graph_auth == "dev")) if on]
            return [f"{' and '.join(names)} is refused in production: anyone could act as anyone "
                    "(for a local test set DEALPANE_INSECURE_DEV_AUTH=1 or pass --insecure-dev-auth; "
                    "for a try-out run `dealpane demo`)"]
        if self.auth_mode == "dev":  # explicitly asked for twice; the entry points warn loudly
            return []
        missing = []
        if self.graph_auth == "dev":
            missing.append("DEALPANE_GRAPH_AUTH (dev tokens only work with DEALPANE_AUTH_MODE=dev)")
        if not self.client_id:
            missing.append("DEALPANE_CLIENT_ID (the app registration's Application (client) ID)")
        if not self.tenant_id:
            missing.append("DEALPANE_TENANT_ID (your Directory (tenant) ID, or organizations for a multi-tenant app)")
        elif not (self.multi_tenant or GUID.match(self.tenant_id.lower())):
            # Tokens name their tenant by id (`tid`), never by domain name.
            missing.append(f"DEALPANE_TENANT_ID (must be the Directory (tenant) ID, a GUID, or organizations; "
                           f"not {self.tenant_id!r})")
        return missing
