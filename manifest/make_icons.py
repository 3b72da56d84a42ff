"""Draw Dealpane's own icons as PNG files, with nothing but the standard library.

The mark: a rounded square in Fluent's brand blue with a white upward trend line ending in an
arrowhead (a deal moving forward). Shapes are described as signed distance fields in a unit
square and anti-aliased by coverage, so every size is drawn from the same geometry, sharp at 16 px.

Output (committed, served by the app under /pane/icons/ and used by both manifests):
- icon-16.png, icon-32.png, icon-64.png, icon-80.png, icon-128.png: the colour mark;
- icon-25/32/48/50/64/75/96/144.png: the same for Outlook mobile's MobileButton (25, 32 and 48 px at
  scales 1 to 3);
- color-192.png: the unified manifest's full-colour icon (192 x 192);
- outline-32.png: the unified manifest's outline icon (white on transparent, 32 x 32).

Re-run with `python -m manifest.make_icons` (or `python manifest/make_icons.py`); the output is
byte-for-byte deterministic, and a test checks the committed files match this script.
"""
from __future__ import annotations

import math
import struct
import sys
import zlib
from pathlib import Path

ICON_DIR = Path(__file__).resolve().parent / "icons"
#: 16/32/64/80 ribbon, 64/128 add-in list; 25..144: Outlook mobile's 25/32/48 px at scales 1, 2 and 3
#: (model.mobile_icon_pixels(), checked by a test).
COLOR_SIZES = (16, 25, 32, 48, 50, 64, 75, 80, 96, 128, 144)

BRAND_BLUE = (15, 108, 189)  # Fluent communication blue #0F6CBD
WHITE = (255, 255, 255)

# The trend line, in unit coordinates (x right, y down), and its arrowhead.
TREND = ((0.20, 0.72), (0.41, 0.50), (0.55, 0.61), (0.74, 0.40))
ARROW = ((0.83, 0.28), (0.62, 0.34), (0.77, 0.49))


# ---------------------------------------------------------------- PNG encoding
def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def encode_png(width: int, height: int, rgba_rows: list[bytes]) -> bytes:
    """An 8-bit RGBA PNG; each row is width*4 bytes. Filter type 0 on every row."""
    if len(rgba_rows) != height or any(len(r) != width * 4 for r in rgba_rows):
        raise ValueError("rows do not match the size")
    raw = b"".join(b"\x00" + row for row in rgba_rows)
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(raw, 9)) + _chunk(b"IEND", b""))


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR (used by the tests)."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        raise ValueError("not a PNG")
    return struct.unpack(">II", data[16:24])


# ---------------------------------------------------------------- geometry (signed distances)
def _sd_rounded_square(x: float, y: float, inset: float, radius: float) -> float:
    """Signed distance to a square [inset, 1-inset]^2 with rounded corners (negative inside)."""
    half = 0.5 - inset
    qx = abs(x - 0.5) - (half - radius)
    qy = abs(y - 0.5) - (half - radius)
    outside = math.hypot(max(qx, 0.0), max(qy, 0.0))
    inside = min(max(qx, qy), 0.0)
    return outside + inside - radius


def _dist_segment(px: float, py: float, a: tuple[float, float], b: tuple[float, float]) -> float:
    ax, ay = a
    bx, by = b
    dx, dy = bx - ax, by - ay
    t = ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)
    t = min(1.0, max(0.0, t))
    return math.hypot(px - (ax + t * dx), py - (ay + t * dy))


def _sd_polyline(x: float, y: float, points, half_width: float) -> float:
    d = min(_dist_segment(x, y, points[i], points[i + 1]) for i in range(len(points) - 1))
    return d - half_width


def _sd_triangle(x: float, y: float, tri) -> float:
    d = min(_dist_segment(x, y, tri[i], tri[(i + 1) % 3]) for i in range(3))
    # inside test by the signs of the edge cross products
    signs = []
    for i in range(3):
        (ax, ay), (bx, by) = tri[i], tri[(i + 1) % 3]
        signs.append((bx - ax) * (y - ay) - (by - ay) * (x - ax) > 0)
    inside = all(signs) or not any(signs)
    return -d if inside else d


def _coverage(signed_distance_units: float, size: int) -> float:
    """Anti-aliased coverage of a pixel whose centre is at the given signed distance."""
    return min(1.0, max(0.0, 0.5 - signed_distance_units * size))


# ---------------------------------------------------------------- drawing
def _stroke_half_width(size: int) -> float:
    # about 9 % of the icon, never thinner than 1.6 px so the line survives at 16 px
    return max(0.045, 0.8 / size)


def _mark_alpha(x: float, y: float, size: int) -> float:
    trend = _coverage(_sd_polyline(x, y, TREND, _stroke_half_width(size)), size)
    arrow = _coverage(_sd_triangle(x, y, ARROW), size)
    return max(trend, arrow)


def draw_color(size: int) -> bytes:
    """The colour mark: blue rounded square, white trend line. Transparent outside the square."""
    rows = []
    for j in range(size):
        row = bytearray()
        for i in range(size):
            x, y = (i + 0.5) / size, (j + 0.5) / size
            square = _coverage(_sd_rounded_square(x, y, 0.0, 0.19), size)
            mark = _mark_alpha(x, y, size)
            r, g, b = (round(BRAND_BLUE[k] + (WHITE[k] - BRAND_BLUE[k]) * mark) for k in range(3))
            row += bytes((r, g, b, round(255 * square)))
        rows.append(bytes(row))
    return encode_png(size, size, rows)


def draw_outline(size: int) -> bytes:
    """The outline mark: white rounded-square border and trend line on transparent."""
    rows = []
    border_half = max(0.6, size * 0.035) / size
    for j in range(size):
        row = bytearray()
        for i in range(size):
            x, y = (i + 0.5) / size, (j + 0.5) / size
            inset = 0.06
            ring = abs(_sd_rounded_square(x, y, inset, 0.17)) - border_half
            alpha = max(_coverage(ring, size), _mark_alpha(x, y, size))
            row += bytes((255, 255, 255, round(255 * alpha)))
        rows.append(bytes(row))
    return encode_png(size, size, rows)


def icon_files() -> dict[str, bytes]:
    """File name -> PNG bytes, for every icon the add-in ships."""
    files = {f"icon-{n}.png": draw_color(n) for n in COLOR_SIZES}
    files["color-192.png"] = draw_color(192)
    files["outline-32.png"] = draw_outline(32)
    return files


def main(argv: list[str] | None = None) -> int:
    out = Path(argv[0]) if argv else ICON_DIR
    out.mkdir(parents=True, exist_ok=True)
    for name, data in icon_files().items():
        (out / name).write_bytes(data)
        print(out / name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
