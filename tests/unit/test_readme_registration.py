"""The README's app registration asks for exactly the Graph permissions the code uses.

An admin follows the README: a permission missing there is a mailbox that stops in production, one
too many is a broader grant than Dealpane needs. The code's lists: graph_sync/tokens.py
(DELEGATED_PERMISSIONS, what the on-behalf-of exchange asks for) and graph_sync/permissions.py
(FEATURES, what `dealpane mailboxes add --mode application` probes).
"""
from __future__ import annotations

import re
from pathlib import Path

from addin.config import Config
from graph_sync.fake.authority import IMPLIES
from graph_sync.permissions import FEATURES
from graph_sync.tokens import DELEGATED_PERMISSIONS

README = Path(__file__).resolve().parents[2] / "README.md"
# Sign-in scopes MSAL adds to every request, not Graph API permissions:
# https://learn.microsoft.com/entra/identity-platform/scopes-oidc#openid-connect-scopes
OIDC_SCOPES = {"offline_access", "openid", "profile"}


def registration_step(keyword: str) -> str:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Outlook: register the app in Entra"):text.index("## What it does")]
    steps = re.split(r"\n(?=\d+\. )", section)
    return next(step for step in steps if keyword in step)


def _covered(held: set[str]) -> set[str]:
    closure = set(held)
    for permission in held:
        closure |= IMPLIES.get(permission, set())
    return closure


def test_delegated_permissions_are_exactly_what_the_exchange_asks_for():
    step = registration_step("API permissions")
    delegated_part = step.split("*Application* permissions")[0]
    listed = set(re.findall(r"`([A-Za-z_.]+)`", delegated_part)) - {"DEALPANE_GRAPH_AUTH=application"}
    assert listed - OIDC_SCOPES == set(DELEGATED_PERMISSIONS)
    assert OIDC_SCOPES <= listed


def test_application_permission_table_matches_the_probed_features():
    step = registration_step("API permissions")
    rows = [line for line in step.splitlines() if line.strip().startswith("|") and "`" in line]
    assert len(rows) == len(FEATURES)
    for feature, row in zip(FEATURES, rows):
        cells = [cell.strip() for cell in row.strip().strip("|").split("|")]
        listed = re.findall(r"`([A-Za-z_.]+)`", cells[1])
        # The first permission (or each, joined by commas) is what the feature needs; "(or X)" names a
        # higher one that also works.
        needed = set(re.findall(r"`([A-Za-z_.]+)`", cells[1].split("(or")[0]))
        assert needed == set(feature.application), (feature.key, row)
        for higher in set(listed) - needed:
            assert needed <= _covered({higher}), (feature.key, higher)


def test_the_default_application_id_uri_is_the_one_entra_proposes():
    # https://learn.microsoft.com/entra/identity-platform/identifier-uri-restrictions: api://{appId}
    config = Config(client_id="11111111-2222-3333-4444-555555555555", tenant_id="organizations")
    assert config.api_resource == "api://11111111-2222-3333-4444-555555555555"
    assert "`api://CLIENT_ID`" in registration_step("Expose an API")
