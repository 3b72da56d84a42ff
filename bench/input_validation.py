"""What checking an e-mail address costs on hostile input (issue 16): time per check on 1 KB, 20 KB
and 100 KB adversarial inputs, before and after, as ratios in the same run.

Before (the baseline, kept here): the old pattern r"^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", run before the
length check as save_contact, mailboxes and graph_sync.outbound did. Its domain part tries every dot
against the whole rest of the input, so the time grows with the square of the length.
After: storage.services.crm.is_email (length first: 320 characters, RFC 5321) and EMAIL_RE itself
(its lookahead reads at most 321 characters, for callers that use the pattern directly), plus the
pattern without its length lookahead, to show that even unguarded it is linear.

The domain check (DOMAIN_RE, unchanged: its own lookahead caps it at 253 characters) is measured
too, alone (before) and behind the new length check (after).

Usage: .venv/bin/python bench/input_validation.py [--sizes 1000,20000,100000] [--repeat 5]
"""
from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
OLD_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")  # before issue 16


def old_check(address: str) -> bool:
    """The contact check before issue 16: the pattern first, the length after."""
    return bool(OLD_EMAIL_RE.match(address)) and len(address) <= 320


def adversarial(shape: str, size: int) -> str:
    """Inputs of `size` characters that the old pattern cannot refuse quickly (none is an address)."""
    if shape == "dots":  # a@....@ : every dot is a place where the domain could split
        return "a@" + "." * (size - 3) + "@"
    if shape == "labels":  # a@a.a.a. ... a.<space>: many short labels, then a character no address has
        return ("a@" + "a." * size)[: size - 1] + " "
    if shape == "domain":  # for DOMAIN_RE: many valid labels, then a hyphen it cannot end on
        return ("a." * size)[: size - 1] + "-"
    raise ValueError(shape)


OLD_TAGS = re.compile(r"<[^>]+>")  # graph_sync.records.body_text before issue 16


def old_body_text(content: str) -> bool:
    """The mail body's text as the sync made it before issue 16 (--keep-bodies). False: nothing to accept."""
    OLD_TAGS.sub(" ", re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", content))
    return False


def adversarial_body(shape: str, size: int) -> str:
    """HTML bodies anyone can mail: tags never closed, script blocks never closed."""
    unit = {"lt": "<", "script": "<script", "blocks": "<style></style>"}[shape]
    return (unit * (size // len(unit) + 1))[:size]


def per_call(check: Callable[[str], object], text: str, repeat: int) -> float:
    """Seconds per call: the best of `repeat` rounds, each round long enough to measure. Every input
    here is refused: a check that accepted one would be measuring something else."""
    start = time.perf_counter()
    accepted = check(text)
    once = time.perf_counter() - start
    assert not accepted, (check, text[:40])
    if once > 0.5:  # the slow baseline: once is enough (and all there is time for)
        return once
    loops = max(1, int(0.05 / max(once, 1e-7)))
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(loops):
            check(text)
        best = min(best, (time.perf_counter() - start) / loops)
    return best


def show(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:8.2f} s "
    if seconds >= 1e-3:
        return f"{seconds * 1e3:8.2f} ms"
    return f"{seconds * 1e6:8.2f} µs"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,20000,100000", help="input sizes in characters")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from storage.services import crm

    sizes = [int(s) for s in args.sizes.split(",")]
    guard = crm.EMAIL_RE.pattern[1: crm.EMAIL_RE.pattern.index(r"\Z)") + 3]  # the length lookahead
    unguarded = re.compile(crm.EMAIL_RE.pattern.replace(guard, "", 1))
    assert unguarded.pattern != crm.EMAIL_RE.pattern

    def new_domain_check(domain: str) -> bool:
        return len(domain) <= 253 and bool(crm.DOMAIN_RE.match(domain))

    # (what is measured, inputs, baseline, the check now); the e-mail rows share one baseline: the old
    # check (pattern, then length) costs what its pattern costs.
    cases = [
        ("e-mail: is_email (contact, mailbox)", ("dots", "labels"), old_check, crm.is_email),
        ("e-mail: EMAIL_RE.match (outbound)", ("dots", "labels"), old_check, crm.EMAIL_RE.match),
        ("e-mail: pattern without its lookahead", ("dots", "labels"), old_check, unguarded.match),
        ("domain: DOMAIN_RE (account domains)", ("domain",), crm.DOMAIN_RE.match, new_domain_check),
    ]
    from graph_sync.records import body_text

    def new_body_text(content: str) -> bool:
        body_text({"contentType": "html", "content": content})
        return False

    baseline: dict = {}
    print(f"{'check':40} {'input':7} {'size':>7}  {'before':>11}  {'after':>11}  {'before/after':>12}")
    for name, shapes, before, after in cases:
        for shape in shapes:
            for size in sizes:
                text = adversarial(shape, size)
                assert len(text) == size
                key = (before, shape, size)
                old = baseline[key] = baseline.get(key) or per_call(before, text, args.repeat)
                new = per_call(after, text, args.repeat)
                print(f"{name:40} {shape:7} {size:>7}  {show(old)}  {show(new)}  {old / new:>11,.0f}x", flush=True)
    for shape in ("lt", "script", "blocks"):
        for size in sizes:
            text = adversarial_body(shape, size)
            old, new = per_call(old_body_text, text, args.repeat), per_call(new_body_text, text, args.repeat)
            ratio = old / new
            print(f"{'mail body to text (--keep-bodies)':40} {shape:7} {size:>7}  {show(old)}  {show(new)}  "
                  f"{ratio:>11,.0f}x" if ratio >= 10 else f"{'mail body to text (--keep-bodies)':40} {shape:7} "
                  f"{size:>7}  {show(old)}  {show(new)}  {ratio:>11.2f}x", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
