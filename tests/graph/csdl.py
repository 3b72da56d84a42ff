"""Graph's CSDL (shared/schemas/graph/v1.0-Prod.csdl) as property tables, to check request bodies against."""
from __future__ import annotations

import functools
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

CSDL = Path(__file__).resolve().parents[2].parent / "shared" / "schemas" / "graph" / "v1.0-Prod.csdl"
NS = {"edm": "http://docs.oasis-open.org/odata/ns/edm"}


def csdl_path() -> Path:
    if not CSDL.exists():
        if os.environ.get("CI"):
            pytest.fail(f"Graph's CSDL is missing at {CSDL}")
        pytest.skip(f"Graph's CSDL is not at {CSDL}")
    return CSDL


@functools.cache
def _types() -> dict[str, tuple[str | None, dict[str, str]]]:
    """name -> (base type name, {property: type}) for every entity and complex type of microsoft.graph."""
    root = ET.parse(csdl_path()).getroot()
    types: dict[str, tuple[str | None, dict[str, str]]] = {}
    for schema in root.iter(f"{{{NS['edm']}}}Schema"):
        if schema.get("Namespace") != "microsoft.graph":
            continue
        for kind in ("EntityType", "ComplexType"):
            for node in schema.findall(f"edm:{kind}", NS):
                props = {p.get("Name"): p.get("Type") for p in node.findall("edm:Property", NS)}
                props.update({p.get("Name"): p.get("Type") for p in node.findall("edm:NavigationProperty", NS)})
                base = node.get("BaseType")
                types[node.get("Name")] = (base.split(".")[-1] if base else None, props)
    return types


def properties(type_name: str) -> dict[str, str]:
    """Every property of a type, inherited ones included."""
    types = _types()
    result: dict[str, str] = {}
    name: str | None = type_name
    while name:
        base, props = types[name]
        result.update(props)
        name = base
    return result


def unknown_properties(type_name: str, body: dict, path: str = "") -> list[str]:
    """Property names in `body` (recursively, through complex types) that the Graph type lacks."""
    known = properties(type_name)
    problems = []
    for key, value in body.items():
        if key.startswith("@odata."):
            continue
        if key not in known:
            problems.append(f"{path}{type_name}.{key}")
            continue
        target = known[key]
        inner = target[len("Collection("):-1] if target.startswith("Collection(") else target
        if inner.startswith("Edm."):
            continue
        inner_name = inner.split(".")[-1]
        if inner_name not in _types():
            continue  # an enum
        for element in (value if isinstance(value, list) else [value]):
            if isinstance(element, dict):
                problems += unknown_properties(inner_name, element, f"{path}{key}.")
    return problems
