"""The unified manifest for Microsoft 365 (JSON), with an Outlook add-in in `extensions`.

Same commands as the XML manifest: one ribbon for the contexts mailRead, mailCompose,
meetingDetailsOrganizer and meetingDetailsAttendee with a group holding "Dealpane" and
"Link to opportunity". Each opens a task pane from its own runtime (the page is the runtime's
`code.page`); the main pane's action is pinnable.
"""
from __future__ import annotations

import json
from typing import Any

from manifest import model
from manifest.settings import ManifestSettings

#: Manifest schema version; the schema ships in npm `@microsoft/app-manifest` under
#: build/json-schemas/teams/v<version>/MicrosoftTeams.schema.json.
MANIFEST_VERSION = "1.30"
SCHEMA_URL = f"https://developer.microsoft.com/json-schemas/teams/v{MANIFEST_VERSION}/MicrosoftTeams.schema.json"

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
        "requirements": _mailbox(model.MAILBOX_COMMANDS_MIN),
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
        "localizationInfo": {"defaultLanguageTag": "en-us"},
        "developer": {
            "name": model.PROVIDER_NAME,
            "websiteUrl": settings.url("/"),
            "privacyUrl": settings.url("/privacy"),
            "termsOfUseUrl": settings.url("/terms"),
        },
        "name": {"short": model.DISPLAY_NAME, "full": "Dealpane for Outlook"},
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
                "formFactors": ["desktop"],
            },
            "runtimes": runtimes,
            "ribbons": [ribbon],
        }],
    }


def dump_json(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
