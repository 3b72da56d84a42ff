"""What speaking French costs a request: the same calls asked in English and in French, side by side.

In-process (the app's own WSGI stack through Flask's test client, no network), on a fresh SQLite file
with the demo workspace: rounds alternate the languages so drift on a shared machine hits both alike.
Calls:
- `context`: the pane's context call for a demo e-mail (what a salesperson waits for in Outlook);
- `problem`: a PATCH with a probability over 100 (422: title, detail and the field message translated);
- `stages`: GET the sales stages (data only: no sentence to translate, the baseline of the baseline);
- `catalogue`: the pane's messages, /pane/i18n/<lang>.json (fetched once per pane start).
Prints the median microseconds per call and language and the ratio French / English, and writes
bench/results/i18n_overhead.json.

Usage: .venv/bin/python bench/i18n_overhead.py [--calls 400] [--rounds 5]
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = Path(__file__).with_name("results")
USER = "demo@contoso.com"
LANGUAGES = {"en": "en-US,en;q=0.9", "fr": "fr-FR,fr;q=0.9"}


def build(db: Path):
    from addin.app import create_app
    from addin.config import Config
    from storage import migrate
    from storage.db import UnitOfWork, make_engine, make_session_factory
    from storage.demo import seed_demo
    from storage.models import ContactEmail, Opportunity

    url = f"sqlite:///{db}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    with UnitOfWork(make_session_factory(engine)) as uow:
        workspace, _created = seed_demo(uow.session)
        uow.commit()
        ws = workspace.id
        import sqlalchemy as sa

        sender = uow.session.scalars(sa.select(ContactEmail.address).where(ContactEmail.workspace_id == ws)).first()
        opportunity = uow.session.scalars(sa.select(Opportunity).where(Opportunity.workspace_id == ws)).first()
        version = opportunity.version
        opp_id = opportunity.id
    app = create_app(Config.from_env(database_url=url, auth_mode="dev", graph_auth="dev", demo=True))
    calls = {
        "context": ("GET", f"/api/v1/workspaces/{ws}/context?internet_message_id={quote('<bench@mail.example>')}"
                           f"&from={quote(sender)}&to={quote(USER)}", None, 200),
        "problem": ("PATCH", f"/api/v1/workspaces/{ws}/opportunities/{opp_id}",
                    {"probability": 150}, 422),
        "stages": ("GET", f"/api/v1/workspaces/{ws}/sales-stages", None, 200),
        "catalogue": ("GET", "/pane/i18n/{lang}.json", None, 200),
    }
    return app, calls, version


def time_calls(client, call, language: str, count: int, version: int) -> float:
    method, path, body, status = call
    path = path.replace("{lang}", language)
    headers = {"X-Dev-User": USER, "Accept-Language": LANGUAGES[language], "If-Match": f'"{version}"'}
    start = time.perf_counter()
    for _ in range(count):
        response = client.open(path, method=method, json=body, headers=headers)
        if status is not None and response.status_code != status:
            raise SystemExit(f"{method} {path}: {response.status_code} {response.get_data(as_text=True)[:300]}")
        response.close()
    return (time.perf_counter() - start) / count * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=400, help="calls per route, language and round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        app, calls, version = build(Path(folder) / "bench.sqlite3")
        client = app.test_client()
        french = client.patch(calls["problem"][1], json=calls["problem"][2],
                              headers={"X-Dev-User": USER, "Accept-Language": "fr", "If-Match": f'"{version}"'})
        print(f"problem in French: {french.status_code} {french.get_json()['title']!r}: {french.get_json()['detail']!r}")
        for name, call in calls.items():  # warm-up: caches, catalogues, query plans
            for language in LANGUAGES:
                time_calls(client, call, language, 50, version)
        samples = {name: {lang: [] for lang in LANGUAGES} for name in calls}
        for round_ in range(args.rounds):
            order = list(LANGUAGES) if round_ % 2 == 0 else list(reversed(LANGUAGES))
            for name, call in calls.items():
                for language in order:
                    samples[name][language].append(time_calls(client, call, language, args.calls, version))
    report = {}
    print(f"{'call':<10} {'en µs':>9} {'fr µs':>9} {'fr/en':>7}   (median of {args.rounds} rounds × {args.calls} calls)")
    for name, by_language in samples.items():
        en, fr = statistics.median(by_language["en"]), statistics.median(by_language["fr"])
        report[name] = {"en_us": round(en, 1), "fr_us": round(fr, 1), "ratio": round(fr / en, 3)}
        print(f"{name:<10} {en:9.1f} {fr:9.1f} {fr / en:7.3f}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "i18n_overhead.json").write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
