"""`dealpane manifest`: render manifest.xml and manifest.json for a deployment."""
from __future__ import annotations

from pathlib import Path

import click

from manifest.render import write_manifests
from manifest.settings import (
    DEFAULT_API_SCOPE,
    ManifestError,
    ManifestSettings,
    check_api_uri,
    check_guid,
    check_scope,
    normalize_base_url,
)


def _checked(param_hint: str, check, value):
    try:
        return check(value)
    except ManifestError as exc:
        raise click.BadParameter(str(exc), param_hint=param_hint) from None


@click.command("manifest")
@click.option("--base-url", "base_url", required=True, metavar="URL",
              help="HTTPS address the app is served at, e.g. https://dealpane.contoso.com; "
                   "every URL in the manifests is under it.")
@click.option("--out", "out_dir", required=True, metavar="DIR",
              type=click.Path(file_okay=False, dir_okay=True, writable=True, path_type=Path),
              help="Folder to write the manifests into (created if missing).")
@click.option("--app-id", metavar="GUID", default=None, envvar="DEALPANE_ADDIN_ID", show_envvar=True,
              help="The add-in's id. Default: a GUID derived from the base URL (uuid5), so "
                   "rendering again gives the same id. The server reads the pane's stamp on sent mail "
                   "under this id: give it the same DEALPANE_ADDIN_ID (or DEALPANE_PUBLIC_BASE_URL).")
@click.option("--api-client-id", metavar="GUID", envvar="DEALPANE_CLIENT_ID", show_envvar=True,
              help="Application (client) id of the Entra app registration of our API "
                   "(WebApplicationInfo, for Nested App Authentication).")
@click.option("--api-uri", metavar="URI", envvar=["DEALPANE_API_URI", "DEALPANE_API_AUDIENCE"], show_envvar=True,
              help="Application ID URI of our API, api://<host>/<client id> (DEALPANE_API_AUDIENCE is its "
                   "name before 0.2).")
@click.option("--api-scope", metavar="NAME", envvar="DEALPANE_API_SCOPE", show_envvar=True,
              default=DEFAULT_API_SCOPE, show_default=True,
              help="The API's delegated scope the pane asks for.")
def manifest_command(base_url: str, out_dir: Path, app_id: str | None, api_client_id: str | None,
                     api_uri: str | None, api_scope: str) -> None:
    """Write manifest.xml (add-in only) and manifest.json (unified) for BASE URL into DIR.

    Also writes the unified manifest's package icons (color.png, outline.png) and
    dealpane-app-package.zip, the app package to upload to Microsoft 365.
    """
    base = _checked("'--base-url'", normalize_base_url, base_url)
    if app_id is not None:
        app_id = _checked("'--app-id'", lambda v: check_guid(v, "the add-in id"), app_id)
    if not (api_client_id or "").strip():
        raise click.UsageError(
            "Missing the API's client id: pass --api-client-id GUID or set DEALPANE_CLIENT_ID "
            "(the Application (client) ID of the Entra app registration).")
    client_id = _checked("'--api-client-id' / DEALPANE_CLIENT_ID",
                         lambda v: check_guid(v, "the API's client id"), api_client_id)
    if not (api_uri or "").strip():
        raise click.UsageError(
            "Missing the API's application ID URI: pass --api-uri api://<host>/<client id> or set "
            "DEALPANE_API_URI (Entra: 'Expose an API' > Application ID URI).")
    uri = _checked("'--api-uri' / DEALPANE_API_URI", check_api_uri, api_uri)
    scope = _checked("'--api-scope' / DEALPANE_API_SCOPE", check_scope, api_scope)
    try:
        settings = ManifestSettings.create(base, app_id=app_id, api_client_id=client_id,
                                           api_uri=uri, api_scope=scope)
        paths = write_manifests(settings, out_dir)
    except ManifestError as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(f"cannot write to {out_dir}: {exc.strerror or exc}") from None
    for path in paths:
        click.echo(str(path))
