"""Render both manifests for a deployment and write them out.

`render_manifests(settings)` returns the XML (bytes) and the unified manifest (dict), after
checking what no schema checks (every resid resolves, every URL is HTTPS under the base URL, every
localization file's key names a string of the unified manifest), and the unified manifest's
localization files (`fr-fr.json`: manifest.json's strings in another language).
`write_manifests(settings, out_dir)` writes manifest.xml and manifest.json, the localization files,
the unified manifest's two package icons and the app package zip that Microsoft 365 sideloads (which
holds the localization files beside manifest.json, where localizationInfo's relative paths point).
"""
from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from manifest import checks, model
from manifest.json_manifest import build_json, build_localizations, dump_json
from manifest.settings import ManifestError, ManifestSettings
from manifest.xml_manifest import build_xml

ICON_DIR = Path(__file__).resolve().parent / "icons"
#: committed icon files behind the unified manifest's package icons
PACKAGE_ICON_SOURCES = {
    model.PACKAGE_COLOR_ICON: "color-192.png",
    model.PACKAGE_OUTLINE_ICON: "outline-32.png",
}
APP_PACKAGE_NAME = "dealpane-app-package.zip"
_ZIP_DATE = (2024, 1, 1, 0, 0, 0)  # fixed, so the package is byte-for-byte reproducible


@dataclass(frozen=True)
class Rendered:
    xml: bytes
    json: dict[str, Any]
    #: file name (as localizationInfo names it) -> localization file, one per language besides English
    localizations: dict[str, dict[str, Any]]

    @property
    def json_text(self) -> str:
        return dump_json(self.json)


def render_manifests(settings: ManifestSettings) -> Rendered:
    xml = build_xml(settings)
    doc = build_json(settings)
    localizations = build_localizations(doc)
    problems = (checks.xml_resid_problems(xml) + checks.xml_url_problems(xml, settings.base_url)
                + checks.json_url_problems(doc, settings.base_url)
                + checks.localization_problems(doc, localizations))
    if problems:  # a bug in the builders, not in the user's input
        raise ManifestError("rendered manifest failed its own checks:\n  " + "\n  ".join(problems))
    return Rendered(xml=xml, json=doc, localizations=localizations)


def _write_if_changed(path: Path, data: bytes) -> None:
    if not path.is_file() or path.read_bytes() != data:
        path.write_bytes(data)


def write_manifests(settings: ManifestSettings, out_dir: Path) -> list[Path]:
    """Write the files into out_dir (created if needed); returns their paths, manifests first."""
    rendered = render_manifests(settings)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    xml_path = out_dir / "manifest.xml"
    json_path = out_dir / "manifest.json"
    json_bytes = rendered.json_text.encode("utf-8")
    _write_if_changed(xml_path, rendered.xml)
    _write_if_changed(json_path, json_bytes)
    written = [xml_path, json_path]
    package_files = {"manifest.json": json_bytes}
    for name, localization in rendered.localizations.items():
        data = dump_json(localization).encode("utf-8")
        _write_if_changed(out_dir / name, data)
        written.append(out_dir / name)
        package_files[name] = data
    for name, source in PACKAGE_ICON_SOURCES.items():
        data = (ICON_DIR / source).read_bytes()
        _write_if_changed(out_dir / name, data)
        written.append(out_dir / name)
        package_files[name] = data
    zip_path = out_dir / APP_PACKAGE_NAME
    _write_if_changed(zip_path, _zip(package_files))
    written.append(zip_path)
    return written


def _zip(files: dict[str, bytes]) -> bytes:
    import io  # noqa: PLC0415

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    return buffer.getvalue()


def load_json(path: Path) -> dict[str, Any]:
    return json.loads(Path(path).read_text(encoding="utf-8"))
