"""What a manifest is rendered from, checked once: base URL, ids, the API's identity."""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

#: Version of the add-in as the manifests announce it. Bump it whenever the manifests change in a
#: way users must pick up (Outlook and the admin centre update add-ins on a version change).
ADDIN_VERSION = "1.0.0"
DEFAULT_API_SCOPE = "access_as_user"

GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_SCOPE_RE = re.compile(r"^[A-Za-z0-9_.\-]{1,100}$")


class ManifestError(ValueError):
    """A setting the manifests cannot be rendered from; the message says what to fix."""


def normalize_base_url(value: str) -> str:
    """`https://host[:port][/path]` without a trailing slash; anything else is refused."""
    text = (value or "").strip()
    if not text:
        raise ManifestError("the base URL is empty")
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme == "http":
        raise ManifestError(
            f"the base URL must use HTTPS, got {text!r}: Outlook loads add-ins only over https://")
    if scheme != "https":
        raise ManifestError(f"the base URL must be an https:// URL, got {text!r}")
    if not parts.hostname:
        raise ManifestError(f"the base URL has no host: {text!r}")
    if parts.username or parts.password:
        raise ManifestError("the base URL must not contain a user name or password")
    if parts.query or parts.fragment or text.endswith(("?", "#")):
        raise ManifestError(f"the base URL must not have a query or fragment: {text!r}")
    if any(c.isspace() for c in text):
        raise ManifestError(f"the base URL contains white space: {text!r}")
    try:
        port = parts.port
    except ValueError:
        raise ManifestError(f"the base URL has an invalid port: {text!r}") from None
    netloc = parts.hostname.lower() + (f":{port}" if port and port != 443 else "")
    path = parts.path.rstrip("/")
    return f"https://{netloc}{path}"


def default_app_id(base_url: str) -> str:
    """A stable add-in id for a deployment: uuid5 of its pane URL, so re-rendering keeps it."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, normalize_base_url(base_url) + "/pane/"))


def check_guid(value: str | None, what: str) -> str:
    text = (value or "").strip()
    if not GUID_RE.match(text):
        raise ManifestError(f"{what} must be a GUID like 00000000-0000-0000-0000-000000000000, got {text!r}")
    return text.lower()


def check_api_uri(value: str | None) -> str:
    """The API's application ID URI, `api://...` (as Entra shows it under 'Expose an API')."""
    text = (value or "").strip().rstrip("/")
    if not text.lower().startswith("api://") or len(text) <= len("api://") or any(c.isspace() for c in text):
        raise ManifestError(f"the API's application ID URI must look like api://<host>/<client id>, got {text!r}")
    if len(text) > 200:
        raise ManifestError("the API's application ID URI is too long (at most 200 characters)")
    return text


def check_scope(value: str | None) -> str:
    text = (value or "").strip()
    if not _SCOPE_RE.match(text):
        raise ManifestError(f"the API scope must be a scope name such as access_as_user, got {text!r}")
    return text


@dataclass(frozen=True)
class ManifestSettings:
    """Everything both manifests are rendered from. Build with `ManifestSettings.create`."""

    base_url: str
    app_id: str
    api_client_id: str
    api_uri: str
    api_scope: str = DEFAULT_API_SCOPE
    version: str = ADDIN_VERSION

    @classmethod
    def create(cls, base_url: str, *, api_client_id: str | None, api_uri: str | None,
               app_id: str | None = None, api_scope: str | None = None,
               version: str = ADDIN_VERSION) -> "ManifestSettings":
        base = normalize_base_url(base_url)
        return cls(
            base_url=base,
            app_id=check_guid(app_id, "the add-in id") if app_id else default_app_id(base),
            api_client_id=check_guid(api_client_id, "the API's client id"),
            api_uri=check_api_uri(api_uri),
            api_scope=check_scope(api_scope or DEFAULT_API_SCOPE),
            version=version,
        )

    # ---- derived values, in one place so both manifests agree
    def url(self, path: str) -> str:
        """An absolute URL under the base URL; `path` starts with '/'."""
        return self.base_url + path

    @property
    def origin(self) -> str:
        parts = urlsplit(self.base_url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def host(self) -> str:
        """host[:port], as validDomains wants it."""
        return urlsplit(self.base_url).netloc

    @property
    def api_scope_uri(self) -> str:
        return f"{self.api_uri}/{self.api_scope}"

    @property
    def xml_version(self) -> str:
        """The XML manifest's four-part version (n.n.n.n)."""
        parts = self.version.split(".")
        return ".".join((parts + ["0", "0", "0", "0"])[:4])
