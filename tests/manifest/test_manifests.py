"""The add-in manifests: valid against Microsoft's schemas, every resid resolves, every URL is
HTTPS under the base URL — and broken manifests are caught by those same checks.

References (data, not project code): the Office add-in XSDs in ../shared/schemas/office-addin-xml/
and the unified manifest's JSON schema from npm `@microsoft/app-manifest` (node_modules/). When
either, or lxml / jsonschema, is missing these tests skip locally and FAIL in CI.
"""
from __future__ import annotations

import copy
import json
import os
import re
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from manifest import ManifestError, ManifestSettings, default_app_id, render_manifests
from manifest import checks, make_icons, model
from manifest.cli import manifest_command
from manifest.json_manifest import MANIFEST_VERSION, SCHEMA_URL

REPO = Path(__file__).resolve().parents[2]
SHARED_SCHEMAS = Path(__file__).resolve().parents[2].parent / "shared" / "schemas"
XSD_DIR = SHARED_SCHEMAS / "office-addin-xml"
APP_MANIFEST_PKG = REPO / "node_modules" / "@microsoft" / "app-manifest"
ICON_DIR = REPO / "manifest" / "icons"

BASE = "https://dealpane.contoso.com"
CLIENT_ID = "3f6c2a1e-8b4d-4e2f-9a7c-1d2e3f4a5b6c"
API_URI = f"api://dealpane.contoso.com/{CLIENT_ID}"
NS = {
    "o": "http://schemas.microsoft.com/office/appforoffice/1.1",
    "bt": "http://schemas.microsoft.com/office/officeappbasictypes/1.0",
    "v10": "http://schemas.microsoft.com/office/mailappversionoverrides",
    "v11": "http://schemas.microsoft.com/office/mailappversionoverrides/1.1",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
}
XSI_TYPE = f"{{{NS['xsi']}}}type"


def _need(ok: bool, why: str) -> None:
    """Missing references skip locally but fail in CI, where they are always installed."""
    if ok:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{why} (CI is set: this test must run)")
    pytest.skip(why)


@pytest.fixture(scope="session")
def etree():
    try:
        from lxml import etree as lxml_etree
    except ImportError:
        _need(False, "lxml is not installed (pip install lxml)")
    return lxml_etree


@pytest.fixture(scope="session")
def xsd_dir(etree):
    _need((XSD_DIR / checks.XSD_ENTRY).is_file(), f"Office add-in XSDs not found in {XSD_DIR}")
    return XSD_DIR


@pytest.fixture(scope="session")
def app_manifest_pkg():
    try:
        import jsonschema  # noqa: F401
        import referencing  # noqa: F401
    except ImportError:
        _need(False, "jsonschema/referencing are not installed (pip install jsonschema)")
    _need((APP_MANIFEST_PKG / "package.json").is_file(),
          f"npm @microsoft/app-manifest not installed in {APP_MANIFEST_PKG} (run `npm ci`)")
    return APP_MANIFEST_PKG


@pytest.fixture(scope="module")
def settings():
    return ManifestSettings.create(BASE, api_client_id=CLIENT_ID, api_uri=API_URI)


@pytest.fixture(scope="module")
def rendered(settings):
    return render_manifests(settings)


def xml_problems(xml: bytes, xsd_dir: Path, base: str = BASE) -> list[str]:
    """Everything a manifest.xml must pass: XSD, resids, URLs."""
    return (checks.xsd_problems(xml, xsd_dir) + checks.xml_resid_problems(xml)
            + checks.xml_url_problems(xml, base))


def json_problems(doc: dict, pkg: Path, base: str = BASE) -> list[str]:
    return checks.json_schema_problems(doc, pkg) + checks.json_url_problems(doc, base)


# ================================================================ manifest.xml
def test_xml_is_valid_against_the_office_xsd(rendered, xsd_dir):
    assert checks.xsd_problems(rendered.xml, xsd_dir) == []


def test_xml_every_resid_resolves_to_the_right_kind(rendered):
    assert checks.xml_resid_problems(rendered.xml) == []
    assert b'resid="' in rendered.xml


def test_xml_every_url_is_https_under_the_base(rendered, etree):
    assert checks.xml_url_problems(rendered.xml, BASE) == []
    root = etree.fromstring(rendered.xml)
    urls = [v for n in root.iter() if isinstance(n.tag, str) for v in n.attrib.values() if "://" in v]
    assert len(urls) >= 10 and all(u.startswith(BASE + "/") for u in urls)


def test_xml_structure(rendered, etree, settings):
    root = etree.fromstring(rendered.xml)
    assert root.tag == f"{{{NS['o']}}}OfficeApp" and root.get(XSI_TYPE) == "MailApp"
    assert root.findtext("o:Id", namespaces=NS) == settings.app_id
    assert root.findtext("o:ProviderName", namespaces=NS) == "Dealpane"
    assert root.findtext("o:DefaultLocale", namespaces=NS) == "en-US"
    assert root.find("o:Requirements/o:Sets/o:Set", NS).attrib == {"Name": "Mailbox", "MinVersion": "1.1"}
    assert root.findtext("o:Permissions", namespaces=NS) == "ReadWriteItem"
    forms = root.findall("o:FormSettings/o:Form", NS)
    assert [f.get(XSI_TYPE) for f in forms] == ["ItemRead", "ItemEdit"]
    assert {f.find("o:DesktopSettings/o:SourceLocation", NS).get("DefaultValue") for f in forms} == {BASE + "/pane/"}
    rules = {(r.get("ItemType"), r.get("FormType")) for r in root.findall("o:Rule/o:Rule", NS)}
    assert rules == {("Message", "Read"), ("Message", "Edit"), ("Appointment", "Read"), ("Appointment", "Edit")}

    v10 = root.find("v10:VersionOverrides", NS)
    assert v10 is not None and v10.get(XSI_TYPE) == "VersionOverridesV1_0"
    v11 = v10.find("v11:VersionOverrides", NS)
    assert v11 is not None and v11.get(XSI_TYPE) == "VersionOverridesV1_1"
    for vo, ns in ((v10, "v10"), (v11, "v11")):
        sets = vo.find(f"{ns}:Requirements/bt:Sets", NS)
        assert sets.get("DefaultMinVersion") == "1.5" and sets.find("bt:Set", NS).get("Name") == "Mailbox"
        ff = vo.find(f"{ns}:Hosts/{ns}:Host/{ns}:DesktopFormFactor", NS)
        assert _resource(vo, ns, "Urls", ff.find(f"{ns}:FunctionFile", NS).get("resid")) == BASE + "/pane/commands.html"
        points = ff.findall(f"{ns}:ExtensionPoint", NS)
        assert [p.get(XSI_TYPE) for p in points] == [
            "MessageReadCommandSurface", "MessageComposeCommandSurface",
            "AppointmentOrganizerCommandSurface", "AppointmentAttendeeCommandSurface"]
        for point in points:
            controls = point.findall(f"{ns}:OfficeTab/{ns}:Group/{ns}:Control", NS)
            labels = [_resource(vo, ns, "ShortStrings", c.find(f"{ns}:Label", NS).get("resid")) for c in controls]
            assert labels == ["Dealpane", "Link to opportunity"]
            pages = [_resource(vo, ns, "Urls", c.find(f"{ns}:Action/{ns}:SourceLocation", NS).get("resid"))
                     for c in controls]
            assert pages == [BASE + "/pane/", BASE + "/pane/?view=link"]
            assert all(c.find(f"{ns}:Action", NS).get(XSI_TYPE) == "ShowTaskpane" for c in controls)
            pinning = [c.findtext(f"{ns}:Action/v11:SupportsPinning", namespaces=NS) for c in controls]
            expected = "true" if (ns == "v11" and point.get(XSI_TYPE) == "MessageReadCommandSurface") else None
            assert pinning == [expected, None]
        sizes = {int(i.get("size")) for i in vo.iter(f"{{{NS['bt']}}}Image") if i.get("size")}
        assert {16, 32, 80} <= sizes
        for image in vo.find(f"{ns}:Resources/bt:Images", NS):
            assert re.fullmatch(re.escape(BASE) + r"/pane/icons/icon-\d+\.png", image.get("DefaultValue"))

    wai = v11.find("v11:WebApplicationInfo", NS)
    assert wai.findtext("v11:Id", namespaces=NS) == CLIENT_ID
    assert wai.findtext("v11:Resource", namespaces=NS) == API_URI
    assert [s.text for s in wai.findall("v11:Scopes/v11:Scope", NS)] == [
        "openid", "profile", "offline_access", f"{API_URI}/access_as_user"]
    assert v10.find("v10:WebApplicationInfo", NS) is None


def _resource(vo, ns: str, collection: str, resid: str) -> str:
    found = vo.find(f"{ns}:Resources/bt:{collection}/*[@id='{resid}']", NS)
    assert found is not None, f"{resid} not in {collection}"
    return found.get("DefaultValue")


# ---------------------------------------------------------------- negative XML cases
def _mutate(xml: bytes, etree, change) -> bytes:
    root = etree.fromstring(xml)
    change(root)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _bad_guid(root):
    root.find("o:Id", NS).text = "not-a-guid-1234"


def _out_of_order(root):
    version = root.find("o:Version", NS)
    root.remove(version)
    root.insert(0, version)  # Version before Id


def _pinning_before_source(root):
    action = root.find(".//v11:SupportsPinning/..", NS)
    source = action.find("v11:SourceLocation", NS)
    action.remove(source)
    action.append(source)


def _http_url(root):
    url = root.find(".//v11:Resources/bt:Urls/bt:Url[@id='Pane.Url']", NS)
    url.set("DefaultValue", url.get("DefaultValue").replace("https://", "http://"))


def _foreign_url(root):
    root.find("o:SupportUrl", NS).set("DefaultValue", "https://evil.example.com/help")


def _dangling_resid(root):
    root.find(".//v11:Control/v11:Label", NS).set("resid", "No.Such.Label")


def _wrong_kind_resid(root):
    # a label pointing at a URL resource: defined, but not a short string
    root.find(".//v11:Control/v11:Label", NS).set("resid", "Pane.Url")


def _missing_resource(root):
    strings = root.find(".//v11:Resources/bt:ShortStrings", NS)
    strings.remove(strings.find("bt:String[@id='Link.Label']", NS))


@pytest.mark.parametrize("change, catcher", [
    (_bad_guid, "xsd"),
    (_out_of_order, "xsd"),
    (_pinning_before_source, "xsd"),
    (_http_url, "urls"),
    (_foreign_url, "urls"),
    (_dangling_resid, "resid"),
    (_wrong_kind_resid, "resid"),
    (_missing_resource, "resid"),
], ids=lambda v: getattr(v, "__name__", v).strip("_"))
def test_xml_broken_manifests_fail(rendered, etree, xsd_dir, change, catcher):
    broken = _mutate(rendered.xml, etree, change)
    assert broken != rendered.xml
    assert xml_problems(broken, xsd_dir), "a broken manifest passed every check"
    found = {
        "xsd": checks.xsd_problems(broken, xsd_dir),
        "resid": checks.xml_resid_problems(broken),
        "urls": checks.xml_url_problems(broken, BASE),
    }
    assert found[catcher], f"expected the {catcher} check to catch it: {found}"
    # the untouched manifest passes the same checks after the same round trip
    assert xml_problems(_mutate(rendered.xml, etree, lambda r: None), xsd_dir) == []


def test_xsd_alone_misses_http_and_dangling_resid(rendered, etree, xsd_dir):
    """Why the own checks exist: the XSD accepts both of these."""
    for change in (_http_url, _dangling_resid):
        assert checks.xsd_problems(_mutate(rendered.xml, etree, change), xsd_dir) == []


def test_xml_not_well_formed_fails(xsd_dir):
    assert checks.xsd_problems(b"<OfficeApp><Id>", xsd_dir)


# ================================================================ manifest.json
def test_json_is_valid_against_the_app_manifest_schema(rendered, app_manifest_pkg):
    path = checks.json_schema_path(rendered.json, app_manifest_pkg)
    assert path == app_manifest_pkg / "build" / "json-schemas" / "teams" / f"v{MANIFEST_VERSION}" / "MicrosoftTeams.schema.json"
    assert checks.json_schema_problems(rendered.json, app_manifest_pkg) == []


def test_json_schema_url_maps_with_or_without_trailing_hash(rendered, app_manifest_pkg):
    doc = dict(rendered.json, **{"$schema": SCHEMA_URL + "#"})
    assert checks.json_schema_problems(doc, app_manifest_pkg) == []


def test_json_urls_are_https_under_the_base(rendered):
    assert checks.json_url_problems(rendered.json, BASE) == []


def test_json_content(rendered, settings):
    doc = rendered.json
    assert doc["$schema"] == SCHEMA_URL and doc["manifestVersion"] == MANIFEST_VERSION
    assert doc["id"] == settings.app_id
    assert doc["validDomains"] == ["dealpane.contoso.com"]
    assert doc["webApplicationInfo"] == {"id": CLIENT_ID, "resource": API_URI}
    assert doc["authorization"]["permissions"]["resourceSpecific"] == [
        {"name": "MailboxItem.ReadWrite.User", "type": "Delegated"}]
    (ext,) = doc["extensions"]
    assert ext["requirements"]["scopes"] == ["mail"]
    assert ext["requirements"]["capabilities"] == [{"name": "Mailbox", "minVersion": "1.5"}]
    assert ext["requirements"]["formFactors"] == ["desktop", "mobile"]
    actions = {a["id"]: (rt["code"]["page"], a) for rt in ext["runtimes"] for a in rt["actions"]}
    ribbon, _mobile = ext["ribbons"]
    assert ribbon["requirements"]["formFactors"] == ["desktop"]
    assert ribbon["contexts"] == ["mailRead", "mailCompose", "meetingDetailsOrganizer", "meetingDetailsAttendee"]
    (tab,) = ribbon["tabs"]
    assert tab["builtInTabId"] == "TabDefault"
    (group,) = tab["groups"]
    opened = [(c["label"], actions[c["actionId"]][0], actions[c["actionId"]][1]["type"],
               actions[c["actionId"]][1]["pinnable"]) for c in group["controls"]]
    assert opened == [("Dealpane", BASE + "/pane/", "openPage", True),
                      ("Link to opportunity", BASE + "/pane/?view=link", "openPage", False)]
    for control in group["controls"]:
        assert {16, 32, 80} <= {i["size"] for i in control["icons"]}
    assert doc["icons"] == {"outline": "outline.png", "color": "color.png"}


def test_xml_and_json_offer_the_same_commands(rendered, etree):
    root = etree.fromstring(rendered.xml)
    v11 = root.find("v10:VersionOverrides/v11:VersionOverrides", NS)
    desktop = v11.find("v11:Hosts/v11:Host/v11:DesktopFormFactor", NS)
    surfaces = [p.get(XSI_TYPE) for p in desktop.iter(f"{{{NS['v11']}}}ExtensionPoint")]
    contexts = rendered.json["extensions"][0]["ribbons"][0]["contexts"]
    assert [model.SURFACES[i].xml_type for i in range(len(contexts))] == surfaces
    mobile = v11.find("v11:Hosts/v11:Host/v11:MobileFormFactor", NS)
    assert [p.get(XSI_TYPE) for p in mobile.iter(f"{{{NS['v11']}}}ExtensionPoint")] == [
        "MobileMessageReadCommandSurface"]
    assert rendered.json["extensions"][0]["ribbons"][1]["contexts"] == ["mailRead"]
    xml_pages = [u.get("DefaultValue") for u in v11.find("v11:Resources/bt:Urls", NS)
                 if u.get("id") != "Commands.Url"]
    json_pages = [rt["code"]["page"] for rt in rendered.json["extensions"][0]["runtimes"]]
    assert sorted(xml_pages) == sorted(json_pages)


# ---------------------------------------------------------------- negative JSON cases
def _drop_developer(doc):
    del doc["developer"]


def _drop_supertip(doc):
    del doc["extensions"][0]["ribbons"][0]["tabs"][0]["groups"][0]["controls"][0]["supertip"]


def _drop_runtime_page(doc):
    del doc["extensions"][0]["runtimes"][0]["code"]["page"]


def _json_bad_guid(doc):
    doc["id"] = "dealpane"


def _wrong_manifest_version(doc):
    doc["manifestVersion"] = "1.29"


def _unknown_context(doc):
    doc["extensions"][0]["ribbons"][0]["contexts"].append("mailSend")


def _json_http_url(doc):
    doc["extensions"][0]["runtimes"][0]["code"]["page"] = "http://dealpane.contoso.com/pane/"


def _json_http_icon(doc):
    icon = doc["extensions"][0]["ribbons"][0]["tabs"][0]["groups"][0]["icons"][0]
    icon["url"] = icon["url"].replace("https://", "http://")


def _json_foreign_domain(doc):
    doc["validDomains"].append("evil.example.com")


@pytest.mark.parametrize("change, catcher", [
    (_drop_developer, "schema"),
    (_drop_supertip, "schema"),
    (_drop_runtime_page, "schema"),
    (_json_bad_guid, "schema"),
    (_wrong_manifest_version, "schema"),
    (_unknown_context, "schema"),
    (_json_http_url, "schema"),   # the runtime page must be secureHttpUrl in the schema itself
    (_json_http_icon, "urls"),    # anyHttpUrl in the schema: only our own check catches it
    (_json_foreign_domain, "urls"),
], ids=lambda v: getattr(v, "__name__", v).strip("_"))
def test_json_broken_manifests_fail(rendered, app_manifest_pkg, change, catcher):
    broken = copy.deepcopy(rendered.json)
    change(broken)
    assert json_problems(broken, app_manifest_pkg), "a broken manifest passed every check"
    found = {"schema": checks.json_schema_problems(broken, app_manifest_pkg),
             "urls": checks.json_url_problems(broken, BASE)}
    assert found[catcher], f"expected the {catcher} check to catch it: {found}"


def test_json_unknown_schema_url_is_a_problem(rendered, app_manifest_pkg):
    doc = dict(rendered.json, **{"$schema": "https://example.com/schema.json"})
    assert checks.json_schema_problems(doc, app_manifest_pkg)
    doc = dict(rendered.json, **{"$schema": SCHEMA_URL.replace(MANIFEST_VERSION, "9.99")})
    assert checks.json_schema_problems(doc, app_manifest_pkg)


# ================================================================ settings and rendering
def test_rendering_is_stable_and_the_default_id_follows_the_base_url():
    a = render_manifests(ManifestSettings.create(BASE + "/", api_client_id=CLIENT_ID, api_uri=API_URI))
    b = render_manifests(ManifestSettings.create("HTTPS://Dealpane.Contoso.com", api_client_id=CLIENT_ID,
                                                 api_uri=API_URI))
    assert a.xml == b.xml and a.json_text == b.json_text
    assert default_app_id(BASE) == default_app_id(BASE + "/") != default_app_id("https://other.contoso.com")
    explicit = ManifestSettings.create(BASE, app_id="AAAAAAAA-BBBB-4CCC-8DDD-EEEEEEEEEEEE",
                                       api_client_id=CLIENT_ID, api_uri=API_URI)
    assert explicit.app_id == "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"


def test_base_url_with_port_and_path(xsd_dir):
    base = "https://host.example.org:8443/dealpane"
    settings = ManifestSettings.create(base + "/", api_client_id=CLIENT_ID, api_uri=API_URI)
    out = render_manifests(settings)
    assert xml_problems(out.xml, xsd_dir, base) == []
    assert b"https://host.example.org:8443/dealpane/pane/commands.html" in out.xml
    assert out.json["validDomains"] == ["host.example.org:8443"]
    assert checks.json_url_problems(out.json, base) == []


@pytest.mark.parametrize("bad", [
    "http://dealpane.contoso.com", "ftp://dealpane.contoso.com", "dealpane.contoso.com", "https://",
    "https://user:pw@dealpane.contoso.com", "https://dealpane.contoso.com/?x=1", "https://dealpane.contoso.com/#top",
    "", "https://dealpane.contoso.com:notaport",
])
def test_bad_base_urls_are_refused(bad):
    with pytest.raises(ManifestError):
        ManifestSettings.create(bad, api_client_id=CLIENT_ID, api_uri=API_URI)


def test_http_base_url_error_says_https():
    with pytest.raises(ManifestError, match="HTTPS"):
        ManifestSettings.create("http://dealpane.contoso.com", api_client_id=CLIENT_ID, api_uri=API_URI)


@pytest.mark.parametrize("kwargs", [
    {"api_client_id": "nope"}, {"api_client_id": None}, {"api_uri": "https://dealpane.contoso.com/api"},
    {"api_uri": None}, {"api_uri": "api://"}, {"app_id": "123"}, {"api_scope": "two words"},
])
def test_bad_ids_are_refused(kwargs):
    args = {"api_client_id": CLIENT_ID, "api_uri": API_URI, **kwargs}
    with pytest.raises(ManifestError):
        ManifestSettings.create(BASE, **args)


# ================================================================ CLI
def _env(**extra):
    env = {"DEALPANE_CLIENT_ID": "", "DEALPANE_API_URI": "", "DEALPANE_API_AUDIENCE": "", "DEALPANE_API_SCOPE": ""}
    env.update(extra)
    return env


def test_cli_writes_both_manifests_and_prints_their_paths(tmp_path, xsd_dir):
    out = tmp_path / "out"
    result = CliRunner().invoke(manifest_command, [
        "--base-url", BASE, "--out", str(out), "--api-client-id", CLIENT_ID, "--api-uri", API_URI],
        env=_env())
    assert result.exit_code == 0, result.output
    printed = result.output.split()
    assert printed[:3] == [str(out / "manifest.xml"), str(out / "manifest.json"), str(out / "fr-fr.json")]
    assert all(Path(p).is_file() for p in printed)
    xml = (out / "manifest.xml").read_bytes()
    doc = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert xml_problems(xml, xsd_dir) == []
    assert doc["id"] == default_app_id(BASE)
    with zipfile.ZipFile(out / "dealpane-app-package.zip") as zf:
        assert sorted(zf.namelist()) == ["color.png", "fr-fr.json", "manifest.json", "outline.png"]
        assert json.loads(zf.read("manifest.json")) == doc
        # the French localization file, where localizationInfo's relative path points
        assert doc["localizationInfo"]["additionalLanguages"] == [{"languageTag": "fr-fr", "file": "fr-fr.json"}]
        french = json.loads(zf.read("fr-fr.json"))
        assert french == json.loads((out / "fr-fr.json").read_text(encoding="utf-8"))
        assert french["extensions[0].ribbons[0].tabs[0].groups[0].controls[1].label"] == "Lier à une opportunité"
        assert make_icons.png_size(zf.read("color.png")) == (192, 192)
        assert make_icons.png_size(zf.read("outline.png")) == (32, 32)
    # rendering again gives the same bytes
    again = CliRunner().invoke(manifest_command, [
        "--base-url", BASE, "--out", str(out), "--api-client-id", CLIENT_ID, "--api-uri", API_URI],
        env=_env())
    assert again.exit_code == 0 and (out / "manifest.xml").read_bytes() == xml


def test_cli_takes_api_identity_from_the_environment(tmp_path):
    app_id = "0c9a8b7d-6e5f-4a3b-8c2d-1e0f9a8b7c6d"
    result = CliRunner().invoke(manifest_command, [
        "--base-url", BASE, "--out", str(tmp_path), "--app-id", app_id],
        env=_env(DEALPANE_CLIENT_ID=CLIENT_ID, DEALPANE_API_URI=API_URI, DEALPANE_API_SCOPE="Deals.ReadWrite"))
    assert result.exit_code == 0, result.output
    doc = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert doc["id"] == app_id and doc["webApplicationInfo"] == {"id": CLIENT_ID, "resource": API_URI}
    assert f"<Scope>{API_URI}/Deals.ReadWrite</Scope>".encode() in (tmp_path / "manifest.xml").read_bytes()


@pytest.mark.parametrize("args, env, message", [
    (["--base-url", "http://dealpane.contoso.com"], {}, "HTTPS"),
    (["--base-url", BASE, "--app-id", "xyz"], {}, "GUID"),
    (["--base-url", BASE], {"DEALPANE_CLIENT_ID": ""}, "DEALPANE_CLIENT_ID"),
    (["--base-url", BASE], {"DEALPANE_CLIENT_ID": "not-a-guid"}, "GUID"),
    (["--base-url", BASE], {"DEALPANE_API_URI": ""}, "DEALPANE_API_URI"),
    (["--base-url", BASE], {"DEALPANE_API_URI": CLIENT_ID}, "api://"),
])
def test_cli_errors_are_clear(tmp_path, args, env, message):
    full_env = _env(DEALPANE_CLIENT_ID=CLIENT_ID, DEALPANE_API_URI=API_URI)
    full_env.update(env)
    result = CliRunner().invoke(manifest_command, [*args, "--out", str(tmp_path / "out")], env=full_env)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_cli_requires_base_url_and_out(tmp_path):
    result = CliRunner().invoke(manifest_command, ["--out", str(tmp_path)], env=_env())
    assert result.exit_code == 2 and "--base-url" in result.output
    result = CliRunner().invoke(manifest_command, ["--base-url", BASE], env=_env())
    assert result.exit_code == 2 and "--out" in result.output


# ================================================================ icons
def test_icons_exist_with_their_sizes():
    for size in (16, 32, 64, 80, 128, 25, 48, 50, 75, 96, 144):
        assert make_icons.png_size((ICON_DIR / f"icon-{size}.png").read_bytes()) == (size, size)
    assert make_icons.png_size((ICON_DIR / "color-192.png").read_bytes()) == (192, 192)
    assert make_icons.png_size((ICON_DIR / "outline-32.png").read_bytes()) == (32, 32)


def test_every_icon_the_manifests_name_is_shipped(rendered):
    named = set(re.findall(rb"/pane/icons/(icon-\d+\.png)", rendered.xml))
    named |= {i["url"].rsplit("/", 1)[1].encode() for i in
              rendered.json["extensions"][0]["ribbons"][0]["tabs"][0]["groups"][0]["icons"]}
    named |= {i["url"].rsplit("/", 1)[1].encode() for i in rendered.json["extensions"][0]["ribbons"][1]
              ["tabs"][0]["customMobileRibbonGroups"][0]["controls"][0]["icons"]}
    assert {f"icon-{n}.png".encode() for n in (25, 50, 75, 48, 96, 144)} <= named
    assert named and all((ICON_DIR / n.decode()).is_file() for n in named)


def test_committed_icons_match_the_generator():
    for name, data in make_icons.icon_files().items():
        assert (ICON_DIR / name).read_bytes() == data, f"{name} is stale: run python -m manifest.make_icons"


def test_cli_still_reads_the_api_uri_under_its_old_name(tmp_path):
    result = CliRunner().invoke(manifest_command, ["--base-url", BASE, "--out", str(tmp_path)],
                                env=_env(DEALPANE_CLIENT_ID=CLIENT_ID, DEALPANE_API_AUDIENCE=API_URI))
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))["webApplicationInfo"]["resource"] \
        == API_URI


# ================================================================ languages (French beside English)
FR = "fr-FR"
#: Microsoft's limits: bt:ShortString / ShortLocaleAwareSetting 125, bt:LongString 250 (the XSDs);
#: the unified manifest's name.short 30, name.full 100, description.short 80, description.full 4000,
#: ribbon labels, supertip titles and action names 64, supertip descriptions 250 (its localization
#: schema). The schemas put most of these beside a "$ref", which draft-04 validators (ours and ajv)
#: ignore — so they are checked here.
XML_SHORT, XML_LONG = 125, 250
JSON_LIMITS = [(r"^name\.short$", 30), (r"^name\.full$", 100), (r"^description\.short$", 80),
               (r"^description\.full$", 4000), (r"\.supertip\.description$", 250),
               (r"\.(label|displayName|supertip\.title)$", 64)]
FRENCH = {
    "Dealpane": "Dealpane",
    "Dealpane for Outlook": "Dealpane pour Outlook",
    "Open Dealpane": "Ouvrir Dealpane",
    "Link to opportunity": "Lier à une opportunité",
    "See and update the sales opportunity behind every e-mail and meeting.":
        "Consultez et modifiez l’opportunité liée à chaque message et à chaque réunion.",
    "Show the opportunities, contacts and history linked to this item.":
        "Afficher les opportunités, les contacts et l’historique liés à cet élément.",
}


def _overrides(node, etree) -> dict[str, str]:
    """Locale -> Value of a node's Override children (either namespace)."""
    return {o.get("Locale"): o.get("Value") for o in node if etree.QName(o).localname == "Override"}


def test_xml_says_name_and_description_in_french(rendered, etree):
    root = etree.fromstring(rendered.xml)
    name = root.find("o:DisplayName", NS)
    description = root.find("o:Description", NS)
    assert name.get("DefaultValue") == "Dealpane" and _overrides(name, etree) == {FR: "Dealpane"}
    assert description.get("DefaultValue") == model.SHORT_DESCRIPTION  # English stays the default
    assert _overrides(description, etree) == {FR: FRENCH[model.SHORT_DESCRIPTION]}
    # the top-level Override is the OfficeApp namespace's (LocaleOverride types of the XSD)
    assert all(etree.QName(o).namespace == NS["o"] for o in name)


def test_xml_every_resource_string_has_its_french_override(rendered, etree):
    root = etree.fromstring(rendered.xml)
    seen = {}
    for level in ("v10:VersionOverrides", "v10:VersionOverrides/v11:VersionOverrides"):
        resources = root.find(level, NS).find("v10:Resources" if level.count("/") == 0 else "v11:Resources", NS)
        for kind, limit in (("ShortStrings", XML_SHORT), ("LongStrings", XML_LONG)):
            strings = resources.find(f"bt:{kind}", NS)
            assert len(strings) > 0
            for string in strings:
                overrides = {o.get("Locale"): o.get("Value") for o in string.findall("bt:Override", NS)}
                assert set(overrides) == {FR}, string.get("id")
                assert overrides[FR] != "" and len(overrides[FR]) <= limit, (string.get("id"), overrides[FR])
                assert len(string.get("DefaultValue")) <= limit
                seen[string.get("id")] = (string.get("DefaultValue"), overrides[FR])
    assert seen["Open.Title"] == ("Open Dealpane", "Ouvrir Dealpane")
    assert seen["Link.Label"] == ("Link to opportunity", "Lier à une opportunité")
    assert seen["Open.Tip"] == (model.BUTTONS[0].tip, FRENCH[model.BUTTONS[0].tip])
    assert seen["Addin.Description"][1].startswith("À côté du message ou de la réunion ouverts")
    # nothing left in English but the product's name
    assert [i for i, (en, fr) in seen.items() if en == fr and en != "Dealpane"] == []


def test_xml_with_french_is_valid_and_a_bad_override_is_caught(rendered, etree, xsd_dir):
    assert xml_problems(rendered.xml, xsd_dir) == []
    root = etree.fromstring(rendered.xml)
    # a French tip over LongString's 250 characters is refused by the XSD
    tip = root.find(".//bt:LongStrings/bt:String/bt:Override", NS)
    tip.set("Value", "é" * 251)
    assert any("Value" in p for p in checks.xsd_problems(etree.tostring(root), xsd_dir))
    # and an Override without its Locale too
    root = etree.fromstring(rendered.xml)
    del root.find("o:DisplayName/o:Override", NS).attrib["Locale"]
    assert checks.xsd_problems(etree.tostring(root), xsd_dir) != []


def test_json_localization_info_names_the_french_file(rendered):
    assert rendered.json["localizationInfo"] == {
        "defaultLanguageTag": "en-us", "additionalLanguages": [{"languageTag": "fr-fr", "file": "fr-fr.json"}]}
    assert list(rendered.localizations) == ["fr-fr.json"]
    # the manifest itself stays English
    assert rendered.json["name"] == {"short": "Dealpane", "full": "Dealpane for Outlook"}
    assert rendered.json["description"]["short"] == model.SHORT_DESCRIPTION


def test_json_french_file_is_valid_against_the_localization_schema(rendered, app_manifest_pkg):
    french = rendered.localizations["fr-fr.json"]
    path = checks.json_schema_path(french, app_manifest_pkg, localization=True)
    assert path.name == "MicrosoftTeams.Localization.schema.json" and f"v{MANIFEST_VERSION}" in str(path)
    assert checks.json_schema_problems(french, app_manifest_pkg, localization=True) == []
    # the schema refuses a key it does not know, and a manifest schema URL in its place
    bad = dict(french, **{"extensions[0].ribbons[0].tabs[0].groups[0].controls[0].tooltip": "x"})
    assert checks.json_schema_problems(bad, app_manifest_pkg, localization=True) != []
    assert checks.json_schema_problems(dict(french, **{"$schema": SCHEMA_URL}), app_manifest_pkg,
                                       localization=True) != []
    assert checks.json_schema_problems(dict(french, **{"name.short": 7}), app_manifest_pkg, localization=True) != []


def test_json_french_strings_are_at_their_places_and_within_limits(rendered):
    french = rendered.localizations["fr-fr.json"]
    assert french["name.short"] == "Dealpane" and french["name.full"] == "Dealpane pour Outlook"
    assert french["description.short"] == FRENCH[model.SHORT_DESCRIPTION]
    assert french["description.full"].startswith("À côté du message")
    group = "extensions[0].ribbons[0].tabs[0].groups[0]"
    assert french[f"{group}.label"] == "Dealpane"
    assert french[f"{group}.controls[0].supertip.title"] == "Ouvrir Dealpane"
    assert french[f"{group}.controls[0].supertip.description"] == FRENCH[model.BUTTONS[0].tip]
    assert french[f"{group}.controls[1].label"] == "Lier à une opportunité"
    assert french["extensions[0].runtimes[1].actions[0].displayName"] == "Lier à une opportunité"
    # each key is where the English string it replaces is in manifest.json
    ext = rendered.json["extensions"][0]
    assert ext["ribbons"][0]["tabs"][0]["groups"][0]["controls"][1]["label"] == "Link to opportunity"
    assert ext["runtimes"][1]["actions"][0]["displayName"] == "Link to opportunity"
    for key, value in french.items():
        if key == "$schema":
            continue
        limits = [limit for pattern, limit in JSON_LIMITS if re.search(pattern, key)]
        assert limits, key
        assert 0 < len(value) <= min(limits), (key, value)
    # the English ones too
    for key, value in checks.localizable_strings(rendered.json).items():
        assert len(value) <= min(limit for pattern, limit in JSON_LIMITS if re.search(pattern, key)), key


def test_localization_check_catches_a_missing_or_stray_key(rendered):
    french = rendered.localizations["fr-fr.json"]
    assert checks.localization_problems(rendered.json, rendered.localizations) == []
    key = "extensions[0].ribbons[0].tabs[0].groups[0].controls[1].supertip.title"
    missing = {k: v for k, v in french.items() if k != key}
    assert any(key in p for p in checks.localization_problems(rendered.json, {"fr-fr.json": missing}))
    stray = dict(french, **{"extensions[0].ribbons[0].tabs[0].groups[1].label": "x"})
    assert any("names no string" in p for p in checks.localization_problems(rendered.json, {"fr-fr.json": stray}))
    assert any("not rendered" in p for p in checks.localization_problems(rendered.json, {}))
    assert any("is empty" in p for p in checks.localization_problems(
        rendered.json, {"fr-fr.json": dict(french, **{"name.short": " "})}))


def test_every_manifest_string_is_in_the_catalogues():
    """Each marked manifest string has its msgid in manifest.po of every language, and the French one
    differs from English except for the product's name."""
    from babel.messages.pofile import read_po
    from storage import i18n

    texts = {model.DISPLAY_NAME, model.FULL_NAME, model.SHORT_DESCRIPTION, model.LONG_DESCRIPTION,
             model.GROUP_LABEL} | {t for b in model.BUTTONS for t in (b.label, b.tip_title, b.tip)}
    for lang in i18n.languages():
        with (i18n.LOCALES_DIR / lang / "LC_MESSAGES" / "manifest.po").open("rb") as po:
            catalogue = read_po(po, locale=lang)
        ids = {m.id for m in catalogue if m.id}
        assert texts <= ids, (lang, texts - ids)
        for text in texts:
            said = i18n.word(text, lang)
            if lang == "fr" and not text.startswith("Dealpane"):
                assert said != text, text
        assert i18n.word(model.FULL_NAME, "fr") == "Dealpane pour Outlook"


# ================================================================ Outlook on iOS and Android
# https://learn.microsoft.com/office/dev/add-ins/outlook/add-mobile-support
# https://learn.microsoft.com/office/dev/add-ins/outlook/outlook-mobile-addins (message read mode only)
# https://learn.microsoft.com/javascript/api/manifest/icon#additional-requirements-for-mobile-form-factors
MOBILE_SIZE_SCALES = {(size, scale) for size in (25, 32, 48) for scale in (1, 2, 3)}


def _mobile_form_factor(root):
    return root.find("v10:VersionOverrides/v11:VersionOverrides/v11:Hosts/v11:Host/v11:MobileFormFactor", NS)


def test_xml_mobile_form_factor_opens_the_pane_in_message_read(rendered, etree):
    root = etree.fromstring(rendered.xml)
    v11 = root.find("v10:VersionOverrides/v11:VersionOverrides", NS)
    host = v11.find("v11:Hosts/v11:Host", NS)
    # DesktopFormFactor first, then MobileFormFactor (the XSD's order); none in VersionOverrides 1.0
    assert [etree.QName(c).localname for c in host] == ["DesktopFormFactor", "MobileFormFactor"]
    assert root.find("v10:VersionOverrides/v10:Hosts/v10:Host/v10:MobileFormFactor", NS) is None
    mobile = _mobile_form_factor(root)
    (point,) = mobile.findall("v11:ExtensionPoint", NS)
    assert point.get(XSI_TYPE) == "MobileMessageReadCommandSurface"  # no compose, no appointments
    assert point.find("v11:OfficeTab", NS) is None
    group = point.find("v11:Group", NS)
    assert _resource(v11, "v11", "ShortStrings", group.find("v11:Label", NS).get("resid")) == "Dealpane"
    (control,) = group.findall("v11:Control", NS)
    assert control.get(XSI_TYPE) == "MobileButton"
    assert control.find("v11:Supertip", NS) is None
    label = v11.find(f"v11:Resources/bt:ShortStrings/bt:String[@id='{control.find('v11:Label', NS).get('resid')}']", NS)
    assert label.get("DefaultValue") == "Dealpane"
    assert {o.get("Locale"): o.get("Value") for o in label.findall("bt:Override", NS)} == {FR: "Dealpane"}
    action = control.find("v11:Action", NS)
    assert action.get(XSI_TYPE) == "ShowTaskpane"
    assert _resource(v11, "v11", "Urls", action.find("v11:SourceLocation", NS).get("resid")) == BASE + "/pane/"
    icon = control.find("v11:Icon", NS)
    assert icon.get(XSI_TYPE) == "bt:MobileIconList"
    images = icon.findall("bt:Image", NS)
    assert {(int(i.get("size")), int(i.get("scale"))) for i in images} == MOBILE_SIZE_SCALES
    assert len(images) == 9
    for image in images:
        # each image is drawn at size x scale pixels, and the file is shipped
        url = _resource(v11, "v11", "Images", image.get("resid"))
        px = int(image.get("size")) * int(image.get("scale"))
        assert url == f"{BASE}/pane/icons/icon-{px}.png"
        assert make_icons.png_size((ICON_DIR / f"icon-{px}.png").read_bytes()) == (px, px)
    # control and group ids are unique in the manifest
    ids = [n.get("id") for n in v11.iter() if etree.QName(n).localname in ("Control", "Group")]
    assert len(ids) == len(set(ids))


def _eight_mobile_icons(root):
    icon = root.find(".//v11:MobileFormFactor//v11:Icon", NS)
    icon.remove(icon[-1])


def _mobile_icon_without_scale(root):
    del root.find(".//v11:MobileFormFactor//v11:Icon/bt:Image", NS).attrib["scale"]


def _desktop_button_on_mobile(root):
    root.find(".//v11:MobileFormFactor//v11:Control", NS).set(XSI_TYPE, "Button")


def _mobile_compose_surface(root):
    root.find(".//v11:MobileFormFactor/v11:ExtensionPoint", NS).set(XSI_TYPE, "MessageComposeCommandSurface")


def _mobile_icon_dangling(root):
    root.find(".//v11:MobileFormFactor//v11:Icon/bt:Image", NS).set("resid", "Icon.26")


@pytest.mark.parametrize("change, catcher", [
    (_eight_mobile_icons, "xsd"),
    (_mobile_icon_without_scale, "xsd"),
    (_desktop_button_on_mobile, "xsd"),
    (_mobile_compose_surface, "xsd"),
    (_mobile_icon_dangling, "resid"),
], ids=lambda v: getattr(v, "__name__", v).strip("_"))
def test_xml_broken_mobile_parts_fail(rendered, etree, xsd_dir, change, catcher):
    broken = _mutate(rendered.xml, etree, change)
    assert broken != rendered.xml
    found = {"xsd": checks.xsd_problems(broken, xsd_dir), "resid": checks.xml_resid_problems(broken)}
    assert found[catcher], f"expected the {catcher} check to catch it: {found}"


def _mobile_ribbon(doc):
    return doc["extensions"][0]["ribbons"][1]


def test_json_mobile_ribbon_opens_the_pane_in_mail_read(rendered, app_manifest_pkg):
    doc = rendered.json
    assert checks.json_schema_problems(doc, app_manifest_pkg) == []
    ribbon = _mobile_ribbon(doc)
    assert ribbon["requirements"] == {"capabilities": [{"name": "Mailbox", "minVersion": "1.5"}],
                                      "formFactors": ["mobile"]}
    assert ribbon["contexts"] == ["mailRead"]
    (tab,) = ribbon["tabs"]
    assert tab["builtInTabId"] == "TabDefault" and "groups" not in tab
    (group,) = tab["customMobileRibbonGroups"]
    assert group["label"] == "Dealpane"
    (button,) = group["controls"]
    assert button["type"] == "mobileButton" and button["label"] == "Dealpane"
    pages = {a["id"]: rt["code"]["page"] for rt in doc["extensions"][0]["runtimes"] for a in rt["actions"]}
    assert pages[button["actionId"]] == BASE + "/pane/"
    assert {(i["size"], i["scale"]) for i in button["icons"]} == MOBILE_SIZE_SCALES
    for icon in button["icons"]:
        assert icon["url"] == f"{BASE}/pane/icons/icon-{icon['size'] * icon['scale']}.png"
    # the same command as the XML manifest's MobileFormFactor
    assert f"mobileMsgRead{model.MOBILE_BUTTONS[0].key}Button" == button["id"]


@pytest.mark.parametrize("change", [
    lambda r: r["tabs"][0]["customMobileRibbonGroups"][0]["controls"][0]["icons"].pop(),
    lambda r: r["tabs"][0]["customMobileRibbonGroups"][0]["controls"][0]["icons"][0].update(size=16),
    lambda r: r["tabs"][0]["customMobileRibbonGroups"][0]["controls"][0]["icons"][0].update(scale=4),
    lambda r: r["tabs"][0]["customMobileRibbonGroups"][0]["controls"][0].update(type="button"),
    lambda r: r["requirements"].update(formFactors=["phone"]),
], ids=["eight_icons", "size_16", "scale_4", "desktop_button_type", "unknown_form_factor"])
def test_json_broken_mobile_ribbon_fails(rendered, app_manifest_pkg, change):
    broken = copy.deepcopy(rendered.json)
    change(_mobile_ribbon(broken))
    assert checks.json_schema_problems(broken, app_manifest_pkg) != []


def test_mobile_labels_are_short_and_french(rendered, app_manifest_pkg):
    french = rendered.localizations["fr-fr.json"]
    assert checks.json_schema_problems(french, app_manifest_pkg, localization=True) == []
    where = "extensions[0].ribbons[1].tabs[0].customMobileRibbonGroups[0]"
    assert french[f"{where}.label"] == "Dealpane"
    assert french[f"{where}.controls[0].label"] == "Dealpane"
    # Microsoft recommends at most 16 characters for a mobile button's label, in every language
    from storage import i18n
    for lang in i18n.languages():
        for button in model.MOBILE_BUTTONS:
            assert len(model.say(button.label, lang)) <= model.MOBILE_LABEL_MAX, (lang, button.label)
    # a stray mobile key is caught like any other
    stray = dict(french, **{f"{where}.controls[1].label": "x"})
    assert any("names no string" in p for p in checks.localization_problems(rendered.json, {"fr-fr.json": stray}))
