"""The Outlook add-in manifests, rendered for a base URL.

- `manifest.xml`: the add-in only manifest (OfficeApp, MailApp, VersionOverrides 1.0 with 1.1);
- `manifest.json`: the unified manifest for Microsoft 365 (`extensions` for Outlook).

Both describe the same ribbon commands (see `manifest.model`), in English and in every language with
a catalogue (storage/locales/<lang>/LC_MESSAGES/manifest.po): Override elements in the XML, a
localization file per language (`fr-fr.json`) beside the unified manifest and in its app package. `dealpane manifest` is
`manifest.cli.manifest_command`. Icons live in `manifest/icons/` (made by `manifest/make_icons.py`)
and must be served by the app under `/pane/icons/` (`manifest.ICON_DIR` is that folder).
"""
from manifest.render import ICON_DIR, Rendered, render_manifests, write_manifests
from manifest.settings import ManifestError, ManifestSettings, default_app_id, normalize_base_url

__all__ = [
    "ICON_DIR",
    "ManifestError",
    "ManifestSettings",
    "Rendered",
    "default_app_id",
    "normalize_base_url",
    "render_manifests",
    "write_manifests",
]
