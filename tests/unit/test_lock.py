"""requirements.lock against pyproject.toml: every dependency named there (the test extra included)
is pinned, with hashes, at a version its floor allows; the floors shut out the releases with the
advisories issue 16 names; and the environment the tests run in is the locked one.

`make lock` writes the lock, `make venv` installs from it (pip --require-hashes).
"""
from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)\s*(?:;[^\\]*)?\\?$")


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _requirements() -> list[Requirement]:
    project = _pyproject()["project"]
    named = project["dependencies"] + project["optional-dependencies"]["test"]
    return [Requirement(text) for text in named]


def _lock() -> dict[str, tuple[str, int]]:
    """canonical name -> (pinned version, number of hashes)."""
    pins: dict[str, tuple[str, int]] = {}
    current = None
    for raw in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("--hash=sha256:"):
            assert current is not None, f"a hash before any pin: {raw!r}"
            name, (version, hashes) = current, pins[current]
            pins[name] = (version, hashes + 1)
            continue
        match = PIN.match(line)
        assert match, f"requirements.lock line is not an exact pin: {raw!r}"
        current = canonicalize_name(match.group(1))
        assert current not in pins, f"{current} pinned twice"
        pins[current] = (match.group(2), 0)
    return pins


def _applies(requirement: Requirement) -> bool:
    return requirement.marker is None or requirement.marker.evaluate({**default_environment(), "extra": ""})


def test_the_lock_pins_every_dependency_of_pyproject_within_its_floor():
    pins = _lock()
    problems = []
    for requirement in _requirements():
        if not _applies(requirement):
            continue
        name = canonicalize_name(requirement.name)
        if name not in pins:
            problems.append(f"{requirement} is not in requirements.lock")
            continue
        version = pins[name][0]
        if not requirement.specifier.contains(Version(version), prereleases=True):
            problems.append(f"requirements.lock pins {name}=={version}, outside {requirement}")
    assert not problems, "run `make lock`:\n" + "\n".join(problems)


def test_every_pin_is_exact_and_carries_its_hashes():
    pins = _lock()
    assert len(pins) > 50  # the whole tree, not the direct dependencies alone
    assert not [name for name, (_, hashes) in pins.items() if hashes == 0]
    text = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    # the lock must install anywhere: no local index, wheel folder or editable path in it
    assert not re.search(r"^\s*(-e|--find-links|-f |--index-url|--extra-index-url|file:)", text, re.M)


# The releases issue 16 names as vulnerable, with the advisory: the floors must shut them out.
KNOWN_VULNERABLE = {
    "pyjwt": ("2.10.0", "CVE-2024-53861: issuer compared as a substring"),
    "cryptography": ("44.0.0", "CVE-2024-12797: vulnerable OpenSSL in the wheels"),
    "gunicorn": ("22.0.0", "CVE-2024-6827: Transfer-Encoding request smuggling"),
    "flask": ("3.1.0", "CVE-2025-47278: signs with a fallback key"),
    "werkzeug": ("3.0.5", "CVE-2024-49767: multipart resource exhaustion"),
    "requests": ("2.32.3", "CVE-2024-47081: .netrc credentials leak"),
    "h11": ("0.14.0", "CVE-2025-43859: lenient chunked bodies"),
}


@pytest.mark.parametrize("package", sorted(KNOWN_VULNERABLE))
def test_the_floor_shuts_out_a_release_with_a_known_advisory(package):
    version, advisory = KNOWN_VULNERABLE[package]
    requirement = next(r for r in _requirements() if canonicalize_name(r.name) == package)
    assert not requirement.specifier.contains(Version(version), prereleases=True), \
        f"pyproject.toml still allows {package}=={version} ({advisory})"


def test_the_environment_under_test_is_the_locked_one():
    """Every distribution that dealpane[test] pulls in is installed at the locked version: the tests
    ran against the versions a fresh clone gets from `make venv`."""
    pins = _lock()
    try:
        metadata.distribution("dealpane")
    except metadata.PackageNotFoundError:
        pytest.skip("dealpane is not installed in this environment")
    seen: set[str] = set()
    todo = [r for r in _requirements() if _applies(r)]
    mismatches = []
    while todo:
        requirement = todo.pop()
        name = canonicalize_name(requirement.name)
        if name in seen:
            continue
        seen.add(name)
        try:
            distribution = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            mismatches.append(f"{name} is not installed")
            continue
        locked = pins.get(name, ("(not in the lock)",))[0]
        if distribution.version != locked:
            mismatches.append(f"{name}: installed {distribution.version}, locked {locked}")
        environment = default_environment()
        for text in distribution.requires or []:
            dependency = Requirement(text)
            wanted = [""] + sorted(requirement.extras)
            if dependency.marker is None or any(
                    dependency.marker.evaluate({**environment, "extra": extra}) for extra in wanted):
                todo.append(dependency)
    assert len(seen) > 50
    assert not mismatches, "run `make venv` (or `make lock` if pyproject.toml changed):\n" + "\n".join(mismatches)
