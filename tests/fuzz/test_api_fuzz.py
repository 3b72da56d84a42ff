"""Schemathesis against the running API (dev auth): every operation, with schema-valid (positive) and
schema-invalid (negative) input, and record ids that exist.

Path parameters are mostly drawn from the seeded demo workspace (ids read back through the API before
each operation, so deleted records drop out), and sometimes left as Schemathesis made them so that the
lookup's 404 is exercised too. Operations run with DELETEs last, so the records the others need are
still there. Checks: no 5xx, responses matching the documented schemas and status codes, negative input
rejected with a 4xx, and schema-valid input accepted (`positive_data_acceptance`) where 422 is also an
acceptable answer: a valid shape may still break a business rule (a stage of another workspace, a
value not in the team's list).

Environment:
  DEALPANE_FUZZ_EXAMPLES  examples per operation and mode (default 6; `make fuzz-long` runs 200)
  DEALPANE_FUZZ_SEED      Hypothesis seed (default 16, so CI is repeatable); `random` draws one,
                          printed at the start and the end so that a failing run can be replayed.

At the end the run prints how many operations reached a 2xx and the responses by status and mode.
"""
from __future__ import annotations

import collections
import os
import random
import re
import threading

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.config import PositiveDataAcceptanceConfig
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import ignored_auth
from werkzeug.serving import make_server

from addin.app import create_app
from addin.config import Config, sqlite_url
from storage import migrate
from storage.db import make_engine, make_session_factory
from storage.demo import DEMO_OWNER, seed_demo

EXAMPLES = int(os.environ.get("DEALPANE_FUZZ_EXAMPLES") or os.environ.get("FUZZ_EXAMPLES") or "6")
_SEED = os.environ.get("DEALPANE_FUZZ_SEED", "16")
SEED = random.SystemRandom().randrange(2**32) if _SEED == "random" else int(_SEED)
# Out of 10 cases of an operation with ids in its path, how many get real ids (the rest keep the
# generated ones and meet the lookup's 404).
REAL_IDS_OUT_OF_10 = 8
HEADERS = {"X-Dev-User": DEMO_OWNER}
# Dev auth names the user in X-Dev-User and ignores Authorization, so "invalid bearer accepted" is
# expected here; Entra mode's rejections are proven in tests/auth.
EXCLUDED = [ignored_auth]
# Schema-valid input: 2xx, or a refusal that is not about the shape of the request.
POSITIVE_ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "422", "429"]
# Collections whose items are addressed as .../{collection}/{id}.
COLLECTIONS = ("accounts", "contacts", "marketing-activities", "products", "opportunities", "projects",
               "project-templates", "sales-stages")
LIST_NAMES = ("type", "payment_terms", "source")
# Findings this run reports (in its summary) without failing: each is a defect of the API or of its
# OpenAPI document, reported to the owners of that code. An entry is (check code, status, operation
# pattern, text the response body contains, why). A 500 is never here. Remove an entry once fixed:
# the summary says which entries no longer occur.
KNOWN_FINDINGS = [
    ("ST202", 400, r"^GET /api/v1/workspaces/\{ws\}/[a-z-]+$", "cursor: is not valid",
     "a well-formed but unknown `cursor` is answered 400, while the schema allows any string"),
    ("ST202", 400, r"^(POST|PATCH) ", "must be a decimal number",
     "a schema-valid number (unit_price, quantity) refused as not a valid decimal: the schema "
     "does not state the bounds or format the server enforces"),
    ("ST202", 400, r"^POST /api/v1/graph/notifications$", "Not a Graph notification payload",
     "the request body is optional in the schema but required by the handler"),
    ("ST103", 409, r".", '"status": 409',
     "409 is answered but not documented (e-mail or change on a read-only closed opportunity)"),
    ("ST202", 400, r".", "must not contain a NUL character",
     "text holding U+0000 is refused with 400 on every database (PostgreSQL cannot store it; README), "
     "which the schema's plain strings do not state"),
    ("ST103", 414, r".", "URI Too Long",
     "the test's HTTP server (werkzeug) refuses an over-long request line before the app sees it"),
    ("ST201", 414, r".", "URI Too Long", "as above"),
    ("ST101", 503, r"/(links|email|meeting-request)$", "graph-unavailable",
     "no Graph in this test (graph_base_url points at a closed port): 503 graph-unavailable is the "
     "documented answer"),
    ("ST202", 503, r"/(links|email|meeting-request)$", "graph-unavailable", "as above"),
]


@pytest.fixture(scope="module")
def running_api(tmp_path_factory):
    db = tmp_path_factory.mktemp("fuzz") / "fuzz.sqlite3"
    engine = make_engine(sqlite_url(db))
    migrate.upgrade(engine)
    with make_session_factory(engine)() as session:
        workspace, _ = seed_demo(session)
        session.commit()
    app = create_app(Config(database_url=sqlite_url(db), auth_mode="dev", graph_auth="dev",
                            graph_base_url="http://127.0.0.1:9/v1.0"), engine=engine)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    _seed_what_the_demo_lacks(base, workspace.id)
    yield base, workspace.id
    server.shutdown()
    engine.dispose()


def _seed_what_the_demo_lacks(base: str, ws: str) -> None:
    """The demo workspace has no project templates, projects or history items: add a few through
    the API, so that the operations on them have something to find."""
    api = f"{base}/api/v1/workspaces/{ws}"
    opportunities = [item["id"] for item in _get(f"{api}/opportunities")["items"]]
    assert len(opportunities) >= 3
    for n in range(3):
        _post(f"{api}/project-templates", {"name": f"Fuzz template {n}", "tasks": []})
        _post(f"{api}/opportunities/{opportunities[n]}/project", {"name": f"Fuzz project {n}"})
        for kind in ("note", "phone_log", "task"):
            _post(f"{api}/opportunities/{opportunities[n]}/history", {"kind": kind, "subject": f"Fuzz {kind}"})


def _get(url: str) -> dict:
    response = requests.get(url, headers=HEADERS, timeout=30)
    assert response.status_code == 200, (url, response.status_code, response.text[:300])
    return response.json()


def _post(url: str, body: dict) -> None:
    response = requests.post(url, json=body, headers=HEADERS, timeout=30)
    assert response.status_code in (200, 201), (url, response.status_code, response.text[:300])


def _id_pools(base: str, ws: str, path: str) -> list[dict[str, str]]:
    """Path-parameter sets (besides `ws`) naming records that exist now, for one operation's path."""
    api = f"{base}/api/v1/workspaces/{ws}"
    tail = path.removeprefix("/api/v1/workspaces/{ws}")
    if tail.startswith("/members/{user_id}"):
        return [{"user_id": item["user_id"]} for item in _get(f"{api}/members")["items"]]
    if tail.startswith("/lists/{list_name}"):
        return [{"list_name": name} for name in LIST_NAMES]
    if tail.startswith("/sales-stages/{id}/activities/{activity_id}"):
        return [{"id": stage["id"], "activity_id": activity["id"]}
                for stage in _get(f"{api}/sales-stages")["items"] for activity in stage.get("activities") or []]
    if tail.startswith("/opportunities/{id}/links/{history_id}"):
        sets = []
        for opportunity in _get(f"{api}/opportunities")["items"][:6]:
            history = _get(f"{api}/opportunities/{opportunity['id']}/history")["items"]
            sets += [{"id": opportunity["id"], "history_id": item["id"]} for item in history]
        return sets
    for collection in COLLECTIONS:
        if tail.startswith(f"/{collection}/{{id}}"):
            return [{"id": item["id"]} for item in _get(f"{api}/{collection}")["items"]]
    return []


def _path_is_the_negative_part(case) -> bool:
    components = getattr(case.meta, "components", None) or {}
    return any(location.name == "PATH" and info.mode.is_negative for location, info in components.items())


def _order(operation) -> tuple[int, str, str]:
    # DELETEs last: they remove the records the other operations are given.
    return (operation.method.upper() == "DELETE", operation.path, operation.method)


def test_every_operation_survives_generated_input(running_api):
    base, workspace_id = running_api
    print(f"\nfuzz: seed {SEED} (DEALPANE_FUZZ_SEED={SEED} replays this run), {EXAMPLES} examples per operation and mode")
    schema = schemathesis.openapi.from_url(f"{base}/api/v1/openapi.json")
    schema.config.checks.positive_data_acceptance = PositiveDataAcceptanceConfig(expected_statuses=POSITIVE_ACCEPTED)
    operations = sorted((result.ok() for result in schema.get_all_operations()), key=_order)
    responses: list[tuple[str, str, int]] = []  # (mode, operation, status)
    failures: list[str] = []
    known: dict[int, set[str]] = collections.defaultdict(set)  # KNOWN_FINDINGS index -> "[mode] operation"
    for operation in operations:
        label = f"{operation.method.upper()} {operation.path}"
        path_names = {p.name for p in operation.path_parameters} - {"ws"}
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            pools = _id_pools(base, workspace_id, operation.path) if path_names else []

            run = _runner(operation, mode, pools, label, base, workspace_id, responses, known)
            try:
                run()
            except BaseException as error:  # noqa: BLE001 - collect every operation's failure, then report them all
                if isinstance(error, KeyboardInterrupt):
                    raise
                failures.append(f"[{mode.value}] {label}: {str(error)[:1500]}")
    _report(operations, responses, failures, known)
    assert len(operations) >= 60
    assert not failures, f"seed {SEED}\n\n" + "\n\n".join(failures)
    reached = {label for _, label, status in responses if 200 <= status < 300}
    # The seeded ids must get most operations past their lookups (before real ids: 27 of 75).
    assert len(reached) >= 0.8 * len(operations), f"only {len(reached)} of {len(operations)} operations reached a 2xx"


def _runner(operation, mode, pools, label, base, workspace_id, responses, known):
    """One Hypothesis test for one operation and generation mode, with a fixed seed."""

    @seed(SEED)
    @given(case=operation.as_strategy(generation_mode=mode), data=st.data())
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def run(case, data):
        if case.path_parameters and not (mode.is_negative and _path_is_the_negative_part(case)):
            if "ws" in case.path_parameters:
                case.path_parameters["ws"] = workspace_id  # past the membership 404
            if pools and data.draw(st.integers(0, 9), label="real ids?") < REAL_IDS_OUT_OF_10:
                case.path_parameters.update(data.draw(st.sampled_from(pools), label="record"))
        # call_and_validate, with the status counted before the checks may raise
        response = case.call(base_url=base, headers=HEADERS)
        responses.append((mode.value, label, response.status_code))
        try:
            case.validate_response(response, headers=HEADERS, excluded_checks=EXCLUDED,
                                   transport_kwargs={"base_url": base, "headers": dict(HEADERS)})
        except FailureGroup as group:
            unknown = [failure for failure in group.exceptions
                       if not _known(failure, label, response, mode.value, known)]
            if unknown:
                raise

    return run


def _known(failure, label: str, response, mode: str, known) -> bool:
    body = response.text or ""
    for index, (code, status, pattern, text, _) in enumerate(KNOWN_FINDINGS):
        if (getattr(failure, "code", None) == code and response.status_code == status
                and re.search(pattern, label) and text in body):
            known[index].add(f"[{mode}] {label}")
            return True
    return False


def _report(operations, responses, failures, known) -> None:
    labels = [f"{o.method.upper()} {o.path}" for o in operations]
    by_status = collections.Counter(status for _, _, status in responses)
    by_mode = {mode: collections.Counter(status for m, _, status in responses if m == mode)
               for mode in ("positive", "negative")}
    reached = {label for _, label, status in responses if 200 <= status < 300}
    server_errors = collections.Counter(label for _, label, status in responses if status >= 500)
    lines = [
        "",
        f"fuzz summary (seed {SEED}, {EXAMPLES} examples per operation and mode)",
        f"  operations: {len(labels)}; reached a 2xx: {len(reached)}; never: {len(labels) - len(reached)}",
        f"  responses: {len(responses)}; by status: "
        + ", ".join(f"{status}: {count}" for status, count in sorted(by_status.items())),
    ]
    for mode, counter in by_mode.items():
        lines.append(f"  {mode:>8}: " + ", ".join(f"{status}: {count}" for status, count in sorted(counter.items())))
    never = [label for label in labels if label not in reached]
    if never:
        lines.append("  no 2xx for: " + "; ".join(never))
    if server_errors:
        lines.append("  5xx from: " + "; ".join(f"{label} ({n})" for label, n in server_errors.items()))
    for index, (code, status, _, _, why) in enumerate(KNOWN_FINDINGS):
        seen = sorted(known.get(index, ()))
        lines.append(f"  known finding {code} {status} ({why}): " + ("; ".join(seen) if seen else "did not occur"))
    lines.append(f"  failing operations: {len(failures)}")
    print("\n".join(lines))
