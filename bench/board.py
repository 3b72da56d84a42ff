"""The pipeline board with 2,000 open deals: first render and a keyboard move, in headless Chromium.

Usage: .venv/bin/python bench/board.py [--open 2000] [--rounds 5]

The real app (dev auth, demo mode) on a fresh SQLite file: the demo workspace, then bench/seed.py's
"Benchmark" workspace with `--open` opportunities, every one in an open sales stage (seed.py spreads
them over all stages: the closed ones are moved to open stages). Debian's Chromium through Playwright
(tests/live_server.py CHROMIUM), 1280x900.

Measured in the page (performance.now(), up to the next frame after the view is complete):
- board: the hash set to #/board until every page of the cursor is rendered (`.board[data-loaded=true]`);
- baseline, alternating in the same run: the opportunities list (#/opportunities, open deals, its first
  page of 50) until its rows are there; printed with the ratio board / list;
- the board's first cards on screen (its first page of the cursor), the view being complete later;
- long tasks (> 50 ms, PerformanceObserver) while the board renders: the longest one;
- a keyboard move: Enter pressed on a lifted card until the card is in the next column (PATCH with
  If-Match, the card rebuilt, totals again), against the same PATCH from Python (API alone).
Prints one JSON line.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from addin.config import sqlite_url  # noqa: E402
from tests.live_server import CHROMIUM, CHROMIUM_ARGS, demo_app  # noqa: E402

OWNER = "demo@contoso.com"

TIMED = """async ([hash, ready]) => {
  const main = document.querySelector("main");
  const board = () => { const b = document.querySelector(".board"); return b && b.dataset.loaded === "true"; };
  const rows = () => document.querySelectorAll("table.list tbody tr[data-id]").length > 0;
  const done = () => main.getAttribute("aria-busy") === "false" && (ready === "board" ? board() : rows());
  const longest = { ms: 0 };
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) longest.ms = Math.max(longest.ms, entry.duration);
  });
  observer.observe({ type: "longtask", buffered: false });
  const t0 = performance.now();
  let firstCards = null; // the board: the first page of cards on screen
  window.location.hash = hash;
  await new Promise((resolve) => {
    const check = () => {
      if (firstCards === null && document.querySelector(".board-card")) firstCards = performance.now() - t0;
      return done() ? resolve() : requestAnimationFrame(check);
    };
    requestAnimationFrame(check);
  });
  await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
  const ms = performance.now() - t0;
  observer.disconnect();
  return { ms, longest: longest.ms, firstCards };
}"""
# Functions, not strings: the page's CSP (script-src 'self') refuses eval.
BOARD_READY = ("() => document.querySelector('main').getAttribute('aria-busy') === 'false' && "
               "!!document.querySelector('.board') && document.querySelector('.board').dataset.loaded === 'true'")
LIST_READY = ("() => document.querySelector('main').getAttribute('aria-busy') === 'false' && "
              "document.querySelectorAll('table.list tbody tr[data-id]').length > 0")
WATCH_MOVE = """([id, stage]) => {
  window.__move = { start: null, end: null };
  const onKey = (event) => {
    if (event.key !== "Enter") return;
    window.__move.start = performance.now();
    document.removeEventListener("keydown", onKey, true);
  };
  document.addEventListener("keydown", onKey, true);
  const list = document.querySelector(`section.board-column[data-stage="${stage}"] .board-list`);
  const observer = new MutationObserver(() => {
    if (list.querySelector(`.board-card[data-id="${id}"]`)) {
      window.__move.end = performance.now();
      observer.disconnect();
    }
  });
  observer.observe(list, { childList: true });
}"""


def seed(database: Path, count: int) -> str:
    env = {**os.environ, "DEALPANE_DATABASE_URL": sqlite_url(database)}
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "seed.py"), "--opportunities", str(count),
                          "--contacts", "400", "--history", "0"], env=env, check=True, capture_output=True, text=True)
    ws = json.loads(out.stdout.strip().splitlines()[-1])["workspace_id"]
    engine = sa.create_engine(sqlite_url(database))
    with engine.begin() as conn:
        stages = conn.execute(sa.text("SELECT id, outcome FROM sales_stage WHERE workspace_id = :ws ORDER BY position"),
                              {"ws": ws}).all()
        open_ids = [s.id for s in stages if s.outcome is None]
        closed = [s.id for s in stages if s.outcome is not None]
        rows = conn.execute(sa.text(f"SELECT id FROM opportunity WHERE workspace_id = :ws AND stage_id IN "
                                    f"({','.join(':c' + str(i) for i in range(len(closed)))})"),
                            {"ws": ws, **{f"c{i}": c for i, c in enumerate(closed)}}).all()
        for n, row in enumerate(rows):
            conn.execute(sa.text("UPDATE opportunity SET stage_id = :s, probability = 40, "
                                 "expected_revenue = total * 40 / 100 WHERE id = :id"),
                         {"s": open_ids[n % len(open_ids)], "id": row.id})
    engine.dispose()
    return ws


def api(base_url: str, method: str, path: str, body=None, version=None):
    headers = {"X-Dev-User": OWNER, "Accept": "application/json"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    if version is not None:
        headers["If-Match"] = f'"{version}"'
    request = urllib.request.Request(base_url + path, method=method, headers=headers,
                                     data=json.dumps(body).encode() if body is not None else None)
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
        return json.loads(response.read())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--open", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    with tempfile.TemporaryDirectory() as tmp, demo_app(Path(tmp) / "bench.sqlite3") as app:
        ws = seed(Path(tmp) / "bench.sqlite3", args.open)
        base = f"/api/v1/workspaces/{ws}"
        stages = [s for s in api(app.base_url, "GET", f"{base}/sales-stages")["items"] if not s["outcome"]]
        stages.sort(key=lambda s: s["position"])
        open_count = 0
        cursor = None
        while True:
            page = api(app.base_url, "GET", f"{base}/opportunities?status=open&limit=500" + (f"&cursor={cursor}" if cursor else ""))
            open_count += len(page["items"])
            cursor = page["next_cursor"]
            if not cursor:
                break
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
            context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US", service_workers="block")
            context.add_init_script(f"sessionStorage.setItem('dealpane.workspace.ws', {json.dumps(ws)})")
            tab = context.new_page()
            tab.goto(f"{app.base_url}/workspace/#/opportunities")
            tab.wait_for_function(LIST_READY, timeout=60_000)
            assert tab.locator("#workspace-select").input_value() == ws, "the Benchmark workspace is not open"
            tab.get_by_label("Status").select_option("open")
            tab.wait_for_function(LIST_READY)
            board_ms, list_ms, longest, first_cards = [], [], [], []
            for _ in range(args.rounds + 1):  # the first round warms caches up and is not counted
                listed = tab.evaluate(TIMED, ["#/opportunities", "list"])
                boarded = tab.evaluate(TIMED, ["#/board", "board"])
                list_ms.append(listed["ms"])
                board_ms.append(boarded["ms"])
                longest.append(boarded["longest"])
                first_cards.append(boarded["firstCards"])
            cards = tab.locator(".board-card").count()
            assert cards == open_count, (cards, open_count)

            move_ms, api_ms = [], []
            for n in range(args.rounds):
                first = tab.locator(f"section.board-column[data-stage='{stages[0]['id']}'] .board-card").nth(n)
                card_id = first.get_attribute("data-id")
                tab.evaluate(WATCH_MOVE, [card_id, stages[1]["id"]])
                first.focus()
                tab.keyboard.press("Space")
                tab.keyboard.press("ArrowRight")
                tab.keyboard.press("Enter")
                tab.wait_for_function("() => window.__move.end !== null", timeout=30_000)
                timing = tab.evaluate("() => window.__move")
                move_ms.append(timing["end"] - timing["start"])
                # The same change from Python, API alone (back to the first stage).
                record = api(app.base_url, "GET", f"{base}/opportunities/{card_id}")
                started = time.perf_counter()
                api(app.base_url, "PATCH", f"{base}/opportunities/{card_id}", {"stage_id": stages[0]["id"]}, record["version"])
                api_ms.append((time.perf_counter() - started) * 1000)
                tab.evaluate("() => { window.location.hash = '#/opportunities'; }")
                tab.wait_for_function(LIST_READY)
                tab.evaluate("() => { window.location.hash = '#/board'; }")
                tab.wait_for_function(BOARD_READY, timeout=60_000)
            browser.close()

    median = lambda values: round(statistics.median(values[1:] if len(values) > args.rounds else values), 1)  # noqa: E731
    result = {
        "open_opportunities": open_count, "cards_rendered": cards, "rounds": args.rounds,
        "board_first_render_ms": median(board_ms), "list_first_render_ms": median(list_ms),
        "ratio_board_to_list": round(median(board_ms) / median(list_ms), 2),
        "board_first_cards_ms": median(first_cards),
        "ratio_first_cards_to_list": round(median(first_cards) / median(list_ms), 2),
        "board_longest_task_ms": median(longest),
        "keyboard_move_round_trip_ms": round(statistics.median(move_ms), 1),
        "api_patch_alone_ms": round(statistics.median(api_ms), 1),
        "ratio_move_to_api": round(statistics.median(move_ms) / statistics.median(api_ms), 2),
    }
    print(json.dumps(result))
    out = ROOT / "bench" / "results" / f"board_{args.open}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
