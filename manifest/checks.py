"""Checks of rendered manifests. Each returns a list of problems (empty = fine).

- `xml_resid_problems`, `xml_url_problems`, `json_url_problems`, `localization_problems`: what the
  schemas cannot say (every `resid` resolves to a resource of the right kind; every URL is HTTPS under
  the base URL; each language named in localizationInfo has its file, whose keys name strings of the
  manifest and leave none out).
  Standard library only: `render` runs them before writing anything.
- `xsd_problems`: the XML against OfficeAppManifestV1_1.xsd (needs lxml, a test dependency).
- `json_schema_problems`: the JSON against the schema from npm `@microsoft/app-manifest`, and a
  localization file against that package's MicrosoftTeams.Localization.schema.json
  (needs jsonschema + referencing, test dependencies).
"""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlsplit

from manifest.json_manifest import localizable_strings
from manifest.settings import normalize_base_url

NS_BT = "http://schemas.microsoft.com/office/officeappbasictypes/1.0"
NS_XSI = "http://www.w3.org/2001/XMLSchema-instance"
XSD_ENTRY = "OfficeAppManifestV1_1.xsd"
APP_MANIFEST_PACKAGE = Path("node_modules") / "@microsoft" / "app-manifest"
_SCHEMA_URL_RE = re.compile(
    r"/json-schemas/teams/(v[0-9A-Za-z.]+)/(MicrosoftTeams(?:\.Localization)?\.schema\.json)$")

# element (local name) holding a resid -> the Resources collection it must come from
_RESID_KIND = {
    "Image": "Images",
    "SourceLocation": "Urls",
    "FunctionFile": "Urls",
    "Label": "ShortStrings",
    "Title": "ShortStrings",
    "Tooltip": "ShortStrings",
    "Description": "LongStrings",
}
_COLLECTIONS = ("Images", "Urls", "ShortStrings", "LongStrings")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _parse(xml: bytes | str) -> ET.Element:
    return ET.fromstring(xml.encode("utf-8") if isinstance(xml, str) else xml)


# ---------------------------------------------------------------- resid
def _own_nodes(vo: ET.Element) -> Iterator[ET.Element]:
    """Descendants of a VersionOverrides element that belong to it, not to a nested one."""
    for child in vo:
        if _local(child.tag) == "VersionOverrides":
            continue
        yield child
        yield from _own_nodes(child)


def xml_resid_problems(xml: bytes | str) -> list[str]:
    """Every `resid` must name a resource of the right kind, defined in the Resources of its
    VersionOverrides (a nested VersionOverrides inherits the collections it does not redefine)."""
    root = _parse(xml)
    problems: list[str] = []

    def visit(vo: ET.Element, inherited: dict[str, set[str]], path: str) -> None:
        available = dict(inherited)
        nodes = list(_own_nodes(vo))
        for node in nodes:
            if _local(node.tag) == "Resources":
                for coll in node:
                    name = _local(coll.tag)
                    if name in _COLLECTIONS:
                        ids = [item.get("id") for item in coll]
                        dupes = sorted({i for i in ids if ids.count(i) > 1 and i})
                        if dupes:
                            problems.append(f"{path}: duplicate resource id(s) in {name}: {', '.join(dupes)}")
                        available[name] = {i for i in ids if i}
        for node in nodes:
            resid = node.get("resid")
            if resid is None:
                continue
            kind = _RESID_KIND.get(_local(node.tag))
            if kind is None:
                problems.append(f"{path}: resid {resid!r} on unexpected element <{_local(node.tag)}>")
            elif resid not in available.get(kind, set()):
                other = [k for k, ids in available.items() if resid in ids]
                hint = f" (it is in {other[0]})" if other else ""
                problems.append(f"{path}: <{_local(node.tag)} resid={resid!r}> is not defined in {kind}{hint}")
        for node in vo:
            if _local(node.tag) == "VersionOverrides":
                # (the schemas nest VersionOverrides only as a direct child)
                visit(node, available, f"{path}/VersionOverrides[{node.get(f'{{{NS_XSI}}}type')}]")

    overrides = [n for n in root if _local(n.tag) == "VersionOverrides"]
    inside = {n for vo in overrides for n in vo.iter()}
    if any(n.get("resid") is not None and n not in inside for n in root.iter()):
        problems.append("a resid is used outside VersionOverrides")
    for vo in overrides:
        visit(vo, {}, f"VersionOverrides[{vo.get(f'{{{NS_XSI}}}type')}]")
    return problems


# ---------------------------------------------------------------- URLs
def _url_problem(url: str, base: str, where: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme.lower() != "https":
        return f"{where}: {url!r} is not HTTPS"
    if not (url == base or url.startswith(base + "/") or url.startswith(base + "?")):
        return f"{where}: {url!r} is not under the base URL {base}"
    return None


def _looks_like_url(value: str) -> bool:
    return bool(re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*://", value.strip()))


def xml_url_problems(xml: bytes | str, base_url: str) -> list[str]:
    """Every URL in the manifest (any attribute or text that has a scheme) must be HTTPS under the
    base URL; AppDomain must be the base URL's origin; WebApplicationInfo's Resource and Scopes
    are identifiers (api://...), not locations, and are checked for that form instead."""
    base = normalize_base_url(base_url)
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(base))
    root = _parse(xml)
    problems: list[str] = []
    wai_nodes = {n for w in root.iter() if _local(w.tag) == "WebApplicationInfo" for n in w.iter()}
    for node in root.iter():
        if not isinstance(node.tag, str):
            continue
        name = _local(node.tag)
        text = (node.text or "").strip()
        if node in wai_nodes:
            if name == "Resource" and not text.startswith("api://"):
                problems.append(f"WebApplicationInfo/Resource {text!r} is not an api:// URI")
            continue
        if name == "AppDomain":
            if text != origin:
                problems.append(f"AppDomain {text!r} is not the base URL's origin {origin}")
            continue
        values = [(f"<{name}>", text)] + [(f"<{name} {_local(k)}=...>", v) for k, v in node.attrib.items()]
        for where, value in values:
            if _looks_like_url(value):
                problem = _url_problem(value.strip(), base, where)
                if problem:
                    problems.append(problem)
    return problems


def _walk_json(value: Any, path: str = "$") -> Iterator[tuple[str, Any]]:
    yield path, value
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _walk_json(child, f"{path}.{key}")
    elif isinstance(value, list):
        for i, child in enumerate(value):
            yield from _walk_json(child, f"{path}[{i}]")


def json_url_problems(doc: dict[str, Any], base_url: str) -> list[str]:
    """Every URL string in the unified manifest must be HTTPS under the base URL ($schema and the
    webApplicationInfo identifiers excepted); validDomains must be the base URL's host."""
    base = normalize_base_url(base_url)
    host = urlsplit(base).netloc
    problems: list[str] = []
    for path, value in _walk_json(doc):
        if not isinstance(value, str) or path == "$.$schema" or path.startswith("$.webApplicationInfo"):
            continue
        if path.startswith("$.validDomains["):
            if value != host:
                problems.append(f"{path}: {value!r} is not the base URL's host {host}")
        elif _looks_like_url(value):
            problem = _url_problem(value, base, path)
            if problem:
                problems.append(problem)
    wai = doc.get("webApplicationInfo") or {}
    if "resource" in wai and not str(wai["resource"]).startswith("api://"):
        problems.append(f"$.webApplicationInfo.resource {wai['resource']!r} is not an api:// URI")
    return problems


# ---------------------------------------------------------------- localization files
def localization_problems(doc: dict[str, Any], files: dict[str, dict[str, Any]]) -> list[str]:
    """The unified manifest's localizationInfo and its files agree: every additional language has its
    file, every file is named, every key of a file names a string of the manifest (Microsoft applies a
    key to the manifest's value at that path) and no string a person sees is left out."""
    problems: list[str] = []
    info = doc.get("localizationInfo") or {}
    named = {lang.get("file"): lang.get("languageTag") for lang in info.get("additionalLanguages", [])}
    for name in sorted(set(named) - set(files)):
        problems.append(f"localizationInfo names {name!r} ({named[name]}), which is not rendered")
    for name in sorted(set(files) - set(named)):
        problems.append(f"localization file {name!r} is not named in localizationInfo.additionalLanguages")
    expected = localizable_strings(doc)
    for name, strings in sorted(files.items()):
        keys = {key for key in strings if key != "$schema"}
        for key in sorted(keys - set(expected)):
            problems.append(f"{name}: {key!r} names no string of the manifest")
        for key in sorted(set(expected) - keys):
            problems.append(f"{name}: {key!r} is missing (the manifest's {expected[key]!r} would stay English)")
        for key in sorted(keys):
            if not isinstance(strings[key], str) or not strings[key].strip():
                problems.append(f"{name}: {key!r} is empty")
    return problems


# ---------------------------------------------------------------- schema validation
def xsd_problems(xml: bytes | str, schema_dir: Path) -> list[str]:
    """Validate against OfficeAppManifestV1_1.xsd (which imports the other XSDs of its folder)."""
    from lxml import etree  # noqa: PLC0415 - test dependency

    schema = _load_xsd(str(Path(schema_dir) / XSD_ENTRY))
    try:
        doc = etree.fromstring(xml.encode("utf-8") if isinstance(xml, str) else xml)
    except etree.XMLSyntaxError as exc:
        return [f"not well-formed XML: {exc}"]
    if schema.validate(doc):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]


_XSD_CACHE: dict[str, Any] = {}


def _load_xsd(path: str):
    from lxml import etree  # noqa: PLC0415

    if path not in _XSD_CACHE:
        _XSD_CACHE[path] = etree.XMLSchema(etree.parse(path))
    return _XSD_CACHE[path]


def json_schema_path(doc: dict[str, Any], package_dir: Path, *, localization: bool = False) -> Path:
    """The local copy of the schema a manifest's (or, with `localization`, a localization file's)
    `$schema` names, inside @microsoft/app-manifest."""
    url = str(doc.get("$schema", "")).rstrip("#")
    match = _SCHEMA_URL_RE.search(url)
    if not match or ("Localization" in match.group(2)) != localization:
        what = "localization file" if localization else "app manifest"
        raise LookupError(f"$schema {url!r} is not a Microsoft 365 {what} schema URL")
    path = Path(package_dir) / "build" / "json-schemas" / "teams" / match.group(1) / match.group(2)
    if not path.is_file():
        raise LookupError(f"no local schema for {url} (looked for {path})")
    return path


def json_validator(doc: dict[str, Any], package_dir: Path, *, localization: bool = False):
    """A Draft 4 validator for the manifest's `$schema`, resolved to the npm package's file.

    The schema declares draft-04 but uses two later keywords (`const` for manifestVersion and
    one `if`/`then`); Microsoft's own validator (ajv) honours them, so this validator does too.
    """
    import jsonschema  # noqa: PLC0415 - test dependency
    from referencing import Registry, Resource  # noqa: PLC0415
    from referencing.jsonschema import DRAFT4  # noqa: PLC0415

    path = json_schema_path(doc, package_dir, localization=localization)
    schema = json.loads(path.read_text(encoding="utf-8"))
    if schema.get("$schema", "").rstrip("#") != "http://json-schema.org/draft-04/schema":
        raise LookupError(f"{path} is not a draft-04 schema")
    # Registered as draft-04 explicitly; without its "$schema" key, so that jsonschema keeps our
    # extended validator class when it follows a $ref instead of picking the stock Draft4Validator.
    schema = {key: value for key, value in schema.items() if key != "$schema"}
    url = str(doc["$schema"]).rstrip("#")
    registry = Registry().with_resource(url, Resource.from_contents(schema, default_specification=DRAFT4))
    draft7 = jsonschema.Draft7Validator.VALIDATORS
    validator_cls = jsonschema.validators.extend(
        jsonschema.Draft4Validator, {"const": draft7["const"], "if": draft7["if"]})
    # No check_schema(): one pattern (custom function names, unused by Outlook add-ins) is
    # ECMA-262 `\p{L}`, which Python's `re` cannot compile; it is only compiled if an instance
    # reaches it.
    return validator_cls({"$ref": url}, registry=registry)


def json_schema_problems(doc: dict[str, Any], package_dir: Path, *, localization: bool = False) -> list[str]:
    """Problems of the unified manifest against its schema, or (`localization`) of a localization file
    against MicrosoftTeams.Localization.schema.json of the same version."""
    try:
        validator = json_validator(doc, package_dir, localization=localization)
    except LookupError as exc:
        return [str(exc)]
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    return [f"{e.json_path}: {e.message}" for e in errors]
