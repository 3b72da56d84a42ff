"""The add-in only (XML) manifest: OfficeApp xsi:type="MailApp" with VersionOverrides 1.0 and 1.1.

Layout (valid against OfficeAppManifestV1_1.xsd and the VersionOverrides schemas):
- the base manifest (Mailbox 1.1): FormSettings for clients without add-in commands;
- VersionOverrides 1.0 (Mailbox 1.5): the ribbon buttons on the four command surfaces;
- inside it VersionOverrides 1.1, the same plus SupportsPinning on message read and the
  WebApplicationInfo of our API (for Nested App Authentication). Clients that know 1.1 use it
  and ignore the 1.0 content; each level carries its own Resources.
- VersionOverrides 1.1 also has a MobileFormFactor for Outlook on iOS and Android: the message read
  surface only (MobileMessageReadCommandSurface: a Group of MobileButton controls, no OfficeTab, no
  Supertip, an Icon of type bt:MobileIconList with 25/32/48 px at scales 1, 2 and 3), as
  https://learn.microsoft.com/office/dev/add-ins/outlook/add-mobile-support and
  https://learn.microsoft.com/javascript/api/manifest/mobileformfactor describe it.

Languages: the default values are English (DefaultLocale en-US); every other language with a catalogue
(storage/locales/<lang>/LC_MESSAGES/manifest.po) adds an `<Override Locale="fr-FR" Value="..."/>` to
DisplayName, Description and each bt:String, which Office shows when its display language matches
(https://learn.microsoft.com/office/dev/add-ins/develop/localization#control-localization-from-the-manifest,
https://learn.microsoft.com/javascript/api/manifest/override#override-element-for-localetoken — Override is
allowed in DisplayName, Description and String). Inside bt:String the element is bt:Override (the
basic types' ShortLocaleOverride / LongLocaleOverride), on the top-level elements it is the OfficeApp
namespace's Override.
"""
from __future__ import annotations

from manifest import model
from manifest.settings import ManifestSettings
from manifest.xmlwriter import Comment, El, to_xml
from storage import i18n

NS_OFFICEAPP = "http://schemas.microsoft.com/office/appforoffice/1.1"
NS_XSI = "http://www.w3.org/2001/XMLSchema-instance"
NS_BT = "http://schemas.microsoft.com/office/officeappbasictypes/1.0"
NS_VO_1_0 = "http://schemas.microsoft.com/office/mailappversionoverrides"
NS_VO_1_1 = "http://schemas.microsoft.com/office/mailappversionoverrides/1.1"

# resource ids (at most 32 characters each)
RES_PANE_URL = "Pane.Url"
RES_LINK_URL = "LinkPane.Url"
RES_COMMANDS_URL = "Commands.Url"
RES_GROUP_LABEL = "Group.Label"
RES_DESCRIPTION = "Addin.Description"


def _icon_res(size: int) -> str:
    return f"Icon.{size}"


def _label_res(button: model.Button) -> str:
    return f"{button.key}.Label"


def _title_res(button: model.Button) -> str:
    return f"{button.key}.Title"


def _tip_res(button: model.Button) -> str:
    return f"{button.key}.Tip"


def _url_res(button: model.Button) -> str:
    return {model.PANE_PATH: RES_PANE_URL, model.LINK_PANE_PATH: RES_LINK_URL}[button.path]


def _control(surface: model.Surface, button: model.Button, *, v1_1: bool) -> El:
    action = El("Action", {"xsi:type": "ShowTaskpane"},
                El("SourceLocation", {"resid": _url_res(button)}))
    if v1_1 and surface.supports_pinning and button.pinnable:
        action.add(El("SupportsPinning", text="true"))
    return El(
        "Control", {"xsi:type": "Button", "id": f"{surface.id_prefix}{button.key}Button"},
        El("Label", {"resid": _label_res(button)}),
        El("Supertip", None,
           El("Title", {"resid": _title_res(button)}),
           El("Description", {"resid": _tip_res(button)})),
        El("Icon", None, *(El("bt:Image", {"size": str(n), "resid": _icon_res(n)})
                           for n in model.RIBBON_ICON_SIZES)),
        action,
    )


def _mobile_control(button: model.Button) -> El:
    """A MobileButton: Label, nine icons, ShowTaskpane (MailAppVersionOverridesV1_1.xsd MobileButton)."""
    return El(
        "Control", {"xsi:type": "MobileButton", "id": f"{model.MOBILE_SURFACE.id_prefix}{button.key}Button"},
        El("Label", {"resid": _label_res(button)}),
        El("Icon", {"xsi:type": "bt:MobileIconList"},
           *(El("bt:Image", {"size": str(size), "scale": str(scale), "resid": _icon_res(px)})
             for size, scale, px in model.mobile_icons())),
        El("Action", {"xsi:type": "ShowTaskpane"}, El("SourceLocation", {"resid": _url_res(button)})),
    )


def _mobile_form_factor() -> El:
    """Outlook on iOS and Android: message read only (https://learn.microsoft.com/office/dev/add-ins/outlook/outlook-mobile-addins)."""
    surface = model.MOBILE_SURFACE
    return El(
        "MobileFormFactor", None,
        El("FunctionFile", {"resid": RES_COMMANDS_URL}),
        El("ExtensionPoint", {"xsi:type": surface.xml_type},
           El("Group", {"id": f"{surface.id_prefix}DealpaneGroup"},
              El("Label", {"resid": RES_GROUP_LABEL}),
              *(_mobile_control(b) for b in model.MOBILE_BUTTONS))))


def _hosts(*, v1_1: bool) -> El:
    form_factor = El("DesktopFormFactor", None, El("FunctionFile", {"resid": RES_COMMANDS_URL}))
    for surface in model.SURFACES:
        form_factor.add(El(
            "ExtensionPoint", {"xsi:type": surface.xml_type},
            El("OfficeTab", {"id": "TabDefault"},
               El("Group", {"id": f"{surface.id_prefix}DealpaneGroup"},
                  El("Label", {"resid": RES_GROUP_LABEL}),
                  *(_control(surface, b, v1_1=v1_1) for b in model.BUTTONS)))))
    host = El("Host", {"xsi:type": "MailHost"}, form_factor)
    if v1_1:  # MobileFormFactor exists in VersionOverrides 1.1 only
        host.add(_mobile_form_factor())
    return El("Hosts", None, host)


def _overrides(text: str, tag: str = "Override") -> list[El]:
    """`<Override Locale="fr-FR" Value="..."/>` for each language besides English."""
    return [El(tag, {"Locale": i18n.region_tag(lang), "Value": model.say(text, lang)})
            for lang in model.other_languages()]


def _string(res_id: str, text: str) -> El:
    return El("bt:String", {"id": res_id, "DefaultValue": text}, *_overrides(text, "bt:Override"))


def _image_sizes(*, v1_1: bool) -> tuple[int, ...]:
    """Pixel sizes of the images a level names: the ribbon's, plus (1.1) the mobile ones."""
    return tuple(sorted(set(model.RIBBON_ICON_SIZES) | (set(model.mobile_icon_pixels()) if v1_1 else set())))


def _resources(settings: ManifestSettings, *, v1_1: bool) -> El:
    short = [(RES_GROUP_LABEL, model.GROUP_LABEL)]
    long_ = [(RES_DESCRIPTION, model.LONG_DESCRIPTION)]
    for b in model.BUTTONS:
        short += [(_label_res(b), b.label), (_title_res(b), b.tip_title)]
        long_.append((_tip_res(b), b.tip))
    return El(
        "Resources", None,
        El("bt:Images", None, *(El("bt:Image", {"id": _icon_res(n), "DefaultValue": model.icon_url(settings, n)})
                                for n in _image_sizes(v1_1=v1_1))),
        El("bt:Urls", None,
           El("bt:Url", {"id": RES_COMMANDS_URL, "DefaultValue": settings.url(model.COMMANDS_PATH)}),
           El("bt:Url", {"id": RES_PANE_URL, "DefaultValue": settings.url(model.PANE_PATH)}),
           El("bt:Url", {"id": RES_LINK_URL, "DefaultValue": settings.url(model.LINK_PANE_PATH)})),
        El("bt:ShortStrings", None, *(_string(i, v) for i, v in short)),
        El("bt:LongStrings", None, *(_string(i, v) for i, v in long_)),
    )


def _requirements(min_version: str) -> El:
    return El("Requirements", None,
              El("bt:Sets", {"DefaultMinVersion": min_version}, El("bt:Set", {"Name": "Mailbox"})))


def _web_application_info(settings: ManifestSettings) -> El:
    return El("WebApplicationInfo", None,
              El("Id", text=settings.api_client_id),
              El("Resource", text=settings.api_uri),
              El("Scopes", None, *(El("Scope", text=s) for s in model.xml_scopes(settings))))


def build_xml(settings: ManifestSettings) -> bytes:
    pane = settings.url(model.PANE_PATH)
    v1_1 = El(
        "VersionOverrides", {"xmlns": NS_VO_1_1, "xsi:type": "VersionOverridesV1_1"},
        El("Description", {"resid": RES_DESCRIPTION}),
        _requirements(model.MAILBOX_COMMANDS_MIN),
        _hosts(v1_1=True),
        _resources(settings, v1_1=True),
        _web_application_info(settings),
    )
    v1_0 = El(
        "VersionOverrides", {"xmlns": NS_VO_1_0, "xsi:type": "VersionOverridesV1_0"},
        El("Description", {"resid": RES_DESCRIPTION}),
        _requirements(model.MAILBOX_COMMANDS_MIN),
        _hosts(v1_1=False),
        _resources(settings, v1_1=False),
        v1_1,
    )
    rules = [El("Rule", {"xsi:type": "ItemIs", "ItemType": item, "FormType": form})
             for item in ("Message", "Appointment") for form in ("Read", "Edit")]
    root = El(
        "OfficeApp",
        {"xmlns": NS_OFFICEAPP, "xmlns:xsi": NS_XSI, "xmlns:bt": NS_BT, "xsi:type": "MailApp"},
        El("Id", text=settings.app_id),
        El("Version", text=settings.xml_version),
        El("ProviderName", text=model.PROVIDER_NAME),
        El("DefaultLocale", text="en-US"),
        El("DisplayName", {"DefaultValue": model.DISPLAY_NAME}, *_overrides(model.DISPLAY_NAME)),
        El("Description", {"DefaultValue": model.SHORT_DESCRIPTION}, *_overrides(model.SHORT_DESCRIPTION)),
        El("IconUrl", {"DefaultValue": model.icon_url(settings, model.ICON_SIZE)}),
        El("HighResolutionIconUrl", {"DefaultValue": model.icon_url(settings, model.HIGH_RES_ICON_SIZE)}),
        El("SupportUrl", {"DefaultValue": settings.url("/")}),
        El("AppDomains", None, El("AppDomain", text=settings.origin)),
        El("Hosts", None, El("Host", {"Name": "Mailbox"})),
        El("Requirements", None,
           El("Sets", None, El("Set", {"Name": "Mailbox", "MinVersion": model.MAILBOX_BASE_MIN}))),
        El("FormSettings", None,
           El("Form", {"xsi:type": "ItemRead"},
              El("DesktopSettings", None,
                 El("SourceLocation", {"DefaultValue": pane}),
                 El("RequestedHeight", text="450"))),
           El("Form", {"xsi:type": "ItemEdit"},
              El("DesktopSettings", None, El("SourceLocation", {"DefaultValue": pane})))),
        El("Permissions", text=model.XML_PERMISSION),
        El("Rule", {"xsi:type": "RuleCollection", "Mode": "Or"}, *rules),
        El("DisableEntityHighlighting", text="false"),
        v1_0,
    )
    note = Comment("Generated by the `dealpane manifest` command: render it again rather than editing it.")
    return to_xml(root, leading=[note])
