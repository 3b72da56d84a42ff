"""A very small XML element writer (standard library only).

The add-in manifest redeclares the default namespace on its VersionOverrides elements, exactly as
Microsoft's samples do, because unprefixed `xsi:type` values resolve against the default namespace.
ElementTree cannot write that, and lxml is not a runtime dependency, so the manifest is built from
these elements: tags and namespace declarations are written literally, text and attribute values
escaped.
"""
from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr


class El:
    __slots__ = ("tag", "attrs", "children", "text")

    def __init__(self, tag: str, attrs: dict[str, str] | None = None, *children: "El | None",
                 text: str | None = None) -> None:
        self.tag = tag
        self.attrs = dict(attrs or {})
        self.children = [c for c in children if c is not None]
        self.text = text
        if self.text is not None and self.children:
            raise ValueError(f"<{tag}> cannot have both text and children")

    def add(self, *children: "El | None") -> "El":
        self.children.extend(c for c in children if c is not None)
        return self

    def _write(self, out: list[str], depth: int, indent: str) -> None:
        pad = indent * depth
        attrs = "".join(f" {name}={quoteattr(str(value))}" for name, value in self.attrs.items())
        if self.text is not None:
            out.append(f"{pad}<{self.tag}{attrs}>{escape(self.text)}</{self.tag}>\n")
        elif not self.children:
            out.append(f"{pad}<{self.tag}{attrs} />\n")
        else:
            out.append(f"{pad}<{self.tag}{attrs}>\n")
            for child in self.children:
                child._write(out, depth + 1, indent)
            out.append(f"{pad}</{self.tag}>\n")


class Comment(El):
    def __init__(self, text: str) -> None:
        if "--" in text:
            raise ValueError("an XML comment cannot contain '--'")
        super().__init__("!--", None, text=text)

    def _write(self, out: list[str], depth: int, indent: str) -> None:
        out.append(f"{indent * depth}<!-- {self.text} -->\n")


def to_xml(root: El, *, leading: list[El] | None = None, indent: str = "  ") -> bytes:
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n']
    for node in leading or []:
        node._write(out, 0, indent)
    root._write(out, 0, indent)
    return "".join(out).encode("utf-8")
