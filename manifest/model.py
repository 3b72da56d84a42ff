"""The add-in's commands, described once; the XML and JSON builders both read this."""
from __future__ import annotations

from dataclasses import dataclass

from manifest.settings import ManifestSettings

DISPLAY_NAME = "Dealpane"
PROVIDER_NAME = "Dealpane"
SHORT_DESCRIPTION = "See and update the sales opportunity behind every e-mail and meeting."
#: At most 250 characters (the XML manifest's LongString).
LONG_DESCRIPTION = (
    "Beside the open e-mail or meeting, Dealpane shows the opportunities it belongs to and those "
    "of its contacts and accounts. Link items to deals, create an opportunity from an e-mail, "
    "change stages, add notes and send meeting requests."
)
ACCENT_COLOR = "#0F6CBD"

PANE_PATH = "/pane/"
LINK_PANE_PATH = "/pane/?view=link"
COMMANDS_PATH = "/pane/commands.html"
ICON_PATH = "/pane/icons/icon-{size}.png"
#: Sizes of the ribbon icons (16/32/80 are required by Outlook, 64 is optional but sharper).
RIBBON_ICON_SIZES = (16, 32, 64, 80)
#: The add-in's own icon in the add-in list (64) and on high-DPI screens (128).
ICON_SIZE = 64
HIGH_RES_ICON_SIZE = 128
#: File names of the unified manifest's package icons (inside the app package zip).
PACKAGE_COLOR_ICON = "color.png"
PACKAGE_OUTLINE_ICON = "outline.png"

#: Mailbox requirement set the commands need (1.5: REST/ids, pinning's ItemChanged).
MAILBOX_COMMANDS_MIN = "1.5"
#: Mailbox requirement set of the add-in's basic (no-commands) form.
MAILBOX_BASE_MIN = "1.1"

#: Permission in each manifest's words (the pane stamps internet headers in compose: read/write).
XML_PERMISSION = "ReadWriteItem"
JSON_PERMISSION = "MailboxItem.ReadWrite.User"


@dataclass(frozen=True)
class Button:
    key: str            # short id part, unique within a surface
    label: str          # ribbon label (short string)
    tip_title: str      # supertip title (short string)
    tip: str            # supertip description (long string)
    path: str           # page the task pane opens, under the base URL
    pinnable: bool      # may the task pane be pinned (where the surface supports it)


@dataclass(frozen=True)
class Surface:
    xml_type: str        # ExtensionPoint xsi:type
    json_context: str    # unified manifest ribbon context
    id_prefix: str       # prefix of group/control ids in the XML (unique per form factor)
    supports_pinning: bool


BUTTONS = (
    Button("Open", "Dealpane", "Open Dealpane",
           "Show the opportunities, contacts and history linked to this item.",
           PANE_PATH, pinnable=True),
    Button("Link", "Link to opportunity", "Link to opportunity",
           "Link this item to a sales opportunity so it appears in the deal's history.",
           LINK_PANE_PATH, pinnable=False),
)

SURFACES = (
    Surface("MessageReadCommandSurface", "mailRead", "msgRead", supports_pinning=True),
    Surface("MessageComposeCommandSurface", "mailCompose", "msgCompose", supports_pinning=False),
    Surface("AppointmentOrganizerCommandSurface", "meetingDetailsOrganizer", "apptOrganizer",
            supports_pinning=False),
    Surface("AppointmentAttendeeCommandSurface", "meetingDetailsAttendee", "apptAttendee",
            supports_pinning=False),
)

GROUP_LABEL = "Dealpane"


def icon_url(settings: ManifestSettings, size: int) -> str:
    return settings.url(ICON_PATH.format(size=size))


def xml_scopes(settings: ManifestSettings) -> list[str]:
    """Scopes named in the XML manifest's WebApplicationInfo (sign-in plus our API's scope)."""
    return ["openid", "profile", "offline_access", settings.api_scope_uri]
