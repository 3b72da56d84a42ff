"""The add-in's commands, described once; the XML and JSON builders both read this.

Every string a person sees is in English here and marked with `N_`: its other languages come from
storage/locales/<lang>/LC_MESSAGES/manifest.po (`storage.i18n.word`), as `<Override Locale=...>` in
the XML manifest and as a localization file per language in the unified manifest's app package.
"""
from __future__ import annotations

from dataclasses import dataclass

from manifest.settings import ManifestSettings
from storage import i18n
from storage.i18n import N_

#: The product's name, the same in every language (its catalogue entry says so).
DISPLAY_NAME = N_("Dealpane")
#: The unified manifest's `name.full` (at most 100 characters).
FULL_NAME = N_("Dealpane for Outlook")
PROVIDER_NAME = "Dealpane"
#: At most 80 characters (the unified manifest's description.short).
SHORT_DESCRIPTION = N_("See and update the sales opportunity behind every e-mail and meeting.")
#: At most 250 characters (the XML manifest's LongString).
LONG_DESCRIPTION = N_(
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
#: Outlook on iOS and Android: the MobileButton's icons are 25, 32 and 48 px, each at the screen scales
#: 1, 2 and 3 (nine images, iOS's UIScreen.scale); each (size, scale) gets its own file of size*scale px.
#: https://learn.microsoft.com/javascript/api/manifest/icon#additional-requirements-for-mobile-form-factors
MOBILE_ICON_SIZES = (25, 32, 48)
MOBILE_ICON_SCALES = (1, 2, 3)
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
    Button("Open", N_("Dealpane"), N_("Open Dealpane"),
           N_("Show the opportunities, contacts and history linked to this item."),
           PANE_PATH, pinnable=True),
    Button("Link", N_("Link to opportunity"), N_("Link to opportunity"),
           N_("Link this item to a sales opportunity so it appears in the deal's history."),
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

GROUP_LABEL = N_("Dealpane")

#: Outlook on iOS and Android. "In general, only Message Read mode is supported": no compose, no
#: appointments for a task pane add-in like ours, so mobile gets the message read surface only
#: (MobileMessageReadCommandSurface in the XML manifest; "mailRead" as the only context of the
#: unified manifest's mobile ribbon). Mobile supports Mailbox up to 1.5, our commands' minimum.
#: https://learn.microsoft.com/office/dev/add-ins/outlook/outlook-mobile-addins
#: https://learn.microsoft.com/office/dev/add-ins/outlook/add-mobile-support
#: https://learn.microsoft.com/office/dev/add-ins/outlook/outlook-mobile-apis
MOBILE_SURFACE = Surface("MobileMessageReadCommandSurface", "mailRead", "mobileMsgRead", supports_pinning=False)
#: One button on the phone: the pane itself (it offers linking too). Its label "Dealpane" keeps under
#: the 16 characters Microsoft recommends for a mobile button, in every language; no Supertip on mobile.
MOBILE_BUTTONS = (BUTTONS[0],)
MOBILE_LABEL_MAX = 16


def mobile_icons() -> list[tuple[int, int, int]]:
    """(size, scale, pixels) of each of the nine mobile images, pixels = size * scale."""
    return [(size, scale, size * scale) for size in MOBILE_ICON_SIZES for scale in MOBILE_ICON_SCALES]


def mobile_icon_pixels() -> tuple[int, ...]:
    return tuple(sorted({px for _, _, px in mobile_icons()}))


def other_languages() -> tuple[str, ...]:
    """The languages the manifests carry besides English (their default): every language with a
    catalogue under storage/locales."""
    return tuple(lang for lang in i18n.languages() if lang != i18n.SOURCE_LANGUAGE)


def say(text: str, language: str) -> str:
    """A marked manifest string in `language` (English where the catalogue lacks it)."""
    return i18n.word(text, language)


def icon_url(settings: ManifestSettings, size: int) -> str:
    return settings.url(ICON_PATH.format(size=size))


def xml_scopes(settings: ManifestSettings) -> list[str]:
    """Scopes named in the XML manifest's WebApplicationInfo (sign-in plus our API's scope)."""
    return ["openid", "profile", "offline_access", settings.api_scope_uri]
