"""The unified manifest for Microsoft 365 (JSON), with an Outlook add-in in `extensions`.

Same commands as the XML manifest: one ribbon for the contexts mailRead, mailCompose,
meetingDetailsOrganizer and meetingDetailsAttendee with a group holding "Dealpane" and
"Link to opportunity". Each opens a task pane from its own runtime (the page is the runtime's
`code.page`); the main pane's action is pinnable. That ribbon is for the "desktop" form factor; a
second ribbon for "mobile" (Outlook on iOS and Android) has "mailRead" as its only context, as mobile
supports message read mode only, and a `customMobileRibbonGroups` group in TabDefault with one
`mobileButton` (nine icons: 25/32/48 px at scales 1, 2, 3) opening the pane; the extension's
`requirements.formFactors` names both.
https://learn.microsoft.com/office/dev/add-ins/outlook/add-mobile-support (the unified manifest tab)
https://learn.microsoft.com/office/dev/add-ins/outlook/outlook-mobile-addins ("mailRead" is the only context)
https://learn.microsoft.com/microsoft-365/extensibility/schema/extension-ribbons-array

Languages: the manifest's own strings are English (`localizationInfo.defaultLanguageTag` en-us); each
other language with a catalogue (storage/locales/<lang>/LC_MESSAGES/manifest.po) gets a localization file,
`fr-fr.json`, named in `localizationInfo.additionalLanguages` and shipped in the app package beside
manifest.json. Its keys are those of Microsoft's localization schema (MicrosoftTeams.Localization.schema.json
in npm @microsoft/app-manifest, the same version as the manifest's): name.short/full,
description.short/full, and a JSONPath-like key per ribbon label, supertip and action display name
(`extensions[0].ribbons[0].tabs[0].groups[0].controls[1].label`).
https://learn.microsoft.com/microsoftteams/platform/concepts/build-and-test/apps-localization
https://learn.microsoft.com/microsoftteams/platform/resources/schema/localization-schema
https://learn.microsoft.com/office/dev/add-ins/develop/localization#control-localization-from-the-manifest
"""
from __future__ import annotations

import json
from typing import Any

from manifest import model
from manifest.settings import ManifestSettings
from storage import i18n

#: Manifest schema version; the schema ships in npm `@microsoft/app-manifest` under
#: build/json-schemas/teams/v<version>/MicrosoftTeams.schema.json.
MANIFEST_VERSION = "1.30"
SCHEMA_URL = f"https://developer.microsoft.com/json-schemas/teams/v{MANIFEST_VERSION}/MicrosoftTeams.schema.json"
LOCALIZATION_SCHEMA_URL = (
    f"https://developer.microsoft.com/json-schemas/teams/v{MANIFEST_VERSION}/MicrosoftTeams.Localization.schema.json")
DEFAULT_LANGUAGE_TAG = "en-us"

PANE_RUNTIME = "DealpanePaneRuntime"
LINK_RUNTIME = "DealpaneLinkRuntime"
PANE_ACTION = "openDealpane"
LINK_ACTION = "openLinkToOpportunity"


def _action_for(button: model.Button) -> tuple[str, str]:
    return {model.PANE_PATH: (PANE_RUNTIME, PANE_ACTION),
            model.LINK_PANE_PATH: (LINK_RUNTIME, LINK_ACTION)}[button.path]


def _icons(settings: ManifestSettings) -> list[dict[str, Any]]:
    return [{"size": n, "url": model.icon_url(settings, n)} for n in model.RIBBON_ICON_SIZES]


def _mailbox(min_version: str) -> dict[str, Any]:
    return {"capabilities": [{"name": "Mailbox", "minVersion": min_version}]}


def _mobile_icons(settings: ManifestSettings) -> list[dict[str, Any]]:
    return [{"size": size, "scale": scale, "url": model.icon_url(settings, px)}
            for size, scale, px in model.mobile_icons()]


def _mobile_ribbon(settings: ManifestSettings) -> dict[str, Any]:
    surface = model.MOBILE_SURFACE
    return {
        "requirements": {**_mailbox(model.MAILBOX_COMMANDS_MIN), "formFactors": ["mobile"]},
        "contexts": [surface.json_context],
        "tabs": [{
            "builtInTabId": "TabDefault",
            "customMobileRibbonGroups": [{
                "id": f"{surface.id_prefix}DealpaneGroup",
                "label": model.GROUP_LABEL,
                "controls": [{
                    "id": f"{surface.id_prefix}{button.key}Button",
                    "type": "mobileButton",
                    "label": button.label,
                    "icons": _mobile_icons(settings),
                    "actionId": _action_for(button)[1],
                } for button in model.MOBILE_BUTTONS],
            }],
        }],
    }


def build_json(settings: ManifestSettings) -> dict[str, Any]:
    runtimes = []
    for button in model.BUTTONS:
        runtime_id, action_id = _action_for(button)
        runtimes.append({
            "requirements": _mailbox(model.MAILBOX_COMMANDS_MIN),
            "id": runtime_id,
            "type": "general",
            "code": {"page": settings.url(button.path)},
            "lifetime": "short",
            "actions": [{
                "id": action_id,
                "type": "openPage",
                "displayName": button.label,
                "pinnable": button.pinnable,
            }],
        })
    controls = [{
        "id": f"dealpane{button.key}Button",
        "type": "button",
        "label": button.label,
        "icons": _icons(settings),
        "supertip": {"title": button.tip_title, "description": button.tip},
        "actionId": _action_for(button)[1],
    } for button in model.BUTTONS]
    ribbon = {
        "requirements": {**_mailbox(model.MAILBOX_COMMANDS_MIN), "formFactors": ["desktop"]},
        "contexts": [s.json_context for s in model.SURFACES],
        "tabs": [{
            "builtInTabId": "TabDefault",
            "groups": [{
                "id": "dealpaneGroup",
                "label": model.GROUP_LABEL,
                "icons": _icons(settings),
                "controls": controls,
            }],
        }],
    }
    return {
        "$schema": SCHEMA_URL,
        "manifestVersion": MANIFEST_VERSION,
        "version": settings.version,
        "id": settings.app_id,
        "localizationInfo": _localization_info(),
        "developer": {
            "name": model.PROVIDER_NAME,
            "websiteUrl": settings.url("/"),
            "privacyUrl": settings.url("/privacy"),
            "termsOfUseUrl": settings.url("/terms"),
        },
        "name": {"short": model.DISPLAY_NAME, "full": model.FULL_NAME},
        "description": {"short": model.SHORT_DESCRIPTION, "full": model.LONG_DESCRIPTION},
        "icons": {"outline": model.PACKAGE_OUTLINE_ICON, "color": model.PACKAGE_COLOR_ICON},
        "accentColor": model.ACCENT_COLOR,
        "validDomains": [settings.host],
        "webApplicationInfo": {"id": settings.api_client_id, "resource": settings.api_uri},
        "authorization": {
            "permissions": {
                "resourceSpecific": [{"name": model.JSON_PERMISSION, "type": "Delegated"}],
            },
        },
        "extensions": [{
            "requirements": {
                "scopes": ["mail"],
                "capabilities": [{"name": "Mailbox", "minVersion": model.MAILBOX_COMMANDS_MIN}],
                "formFactors": ["desktop", "mobile"],
            },
            "runtimes": runtimes,
            "ribbons": [ribbon, _mobile_ribbon(settings)],
        }],
    }


def language_tag(language: str) -> str:
    """'fr' -> 'fr-fr', the tag (lower case, as Microsoft's examples write it) of a localization file."""
    return i18n.region_tag(language).lower()


def localization_file_name(language: str) -> str:
    return f"{language_tag(language)}.json"


def _localization_info() -> dict[str, Any]:
    info: dict[str, Any] = {"defaultLanguageTag": DEFAULT_LANGUAGE_TAG}
    others = model.other_languages()
    if others:
        info["additionalLanguages"] = [
            {"languageTag": language_tag(lang), "file": localization_file_name(lang)} for lang in others]
    return info


def localizable_strings(doc: dict[str, Any]) -> dict[str, str]:
    """key (as the localization schema names it) -> the manifest's English string, for every string of
    the manifest a person sees."""
    found = {
        "name.short": doc["name"]["short"],
        "name.full": doc["name"]["full"],
        "description.short": doc["description"]["short"],
        "description.full": doc["description"]["full"],
    }
    for e, extension in enumerate(doc.get("extensions", [])):
        for r, runtime in enumerate(extension.get("runtimes", [])):
            for a, action in enumerate(runtime.get("actions", [])):
                if "displayName" in action:
                    found[f"extensions[{e}].runtimes[{r}].actions[{a}].displayName"] = action["displayName"]
        for r, ribbon in enumerate(extension.get("ribbons", [])):
            for t, tab in enumerate(ribbon.get("tabs", [])):
                for g, group in enumerate(tab.get("groups", [])):
                    where = f"extensions[{e}].ribbons[{r}].tabs[{t}].groups[{g}]"
                    found[f"{where}.label"] = group["label"]
                    for c, control in enumerate(group.get("controls", [])):
                        found[f"{where}.controls[{c}].label"] = control["label"]
                        tip = control.get("supertip") or {}
                        for part in ("title", "description"):
                            if part in tip:
                                found[f"{where}.controls[{c}].supertip.{part}"] = tip[part]
                for g, group in enumerate(tab.get("customMobileRibbonGroups", [])):
                    where = f"extensions[{e}].ribbons[{r}].tabs[{t}].customMobileRibbonGroups[{g}]"
                    found[f"{where}.label"] = group["label"]
                    for c, control in enumerate(group.get("controls", [])):
                        found[f"{where}.controls[{c}].label"] = control["label"]
    return found


def build_localizations(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """file name -> localization file, for each language besides English."""
    strings = localizable_strings(doc)
    files = {}
    for lang in model.other_languages():
        files[localization_file_name(lang)] = {
            "$schema": LOCALIZATION_SCHEMA_URL,
            **{key: model.say(text, lang) for key, text in strings.items()},
        }
    return files


def dump_json(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
