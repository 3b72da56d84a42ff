"""Why delta pages are parsed as plain JSON (orjson), not into msgraph-sdk's models (msgraph-sdk-python #584).

Parses the same 1,000-message delta page both ways, in one run, and prints the ratio.
Usage: .venv/bin/python bench/graph_parse.py [--messages 1000] [--repeat 3]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import orjson
from kiota_serialization_json.json_parse_node_factory import JsonParseNodeFactory
from msgraph.generated.users.item.mail_folders.item.messages.delta.delta_get_response import DeltaGetResponse

RESULTS = Path(__file__).with_name("results")


def message(n: int) -> dict:
    return {
        "@odata.etag": f'W/"CQAAABYAAAB{n:08d}"', "id": f"AAMkAGI2TG93AAA{n:012d}=",
        "subject": f"Re: proposal {n}", "bodyPreview": "Thanks for the call today. " * 4,
        "from": {"emailAddress": {"name": "Megan Bowen", "address": "megan.bowen@fabrikam.com"}},
        "sender": {"emailAddress": {"name": "Megan Bowen", "address": "megan.bowen@fabrikam.com"}},
        "toRecipients": [{"emailAddress": {"name": "Diego Siciliani", "address": "demo@contoso.com"}}],
        "ccRecipients": [{"emailAddress": {"name": "Alex Wilber", "address": "alex.wilber@contoso.com"}}],
        "receivedDateTime": "2026-11-02T09:30:00Z", "sentDateTime": "2026-11-02T09:29:41Z",
        "internetMessageId": f"<{n}.abc@fabrikam.com>", "conversationId": f"AAQkAGI2{n % 97:06d}=",
        "webLink": f"https://outlook.office365.com/owa/?ItemID=AAMk{n}&exvsurl=1&viewmodel=ReadMessageItem",
        "changeKey": f"CQAAABYAAAB{n:08d}", "parentFolderId": "AAMkAGI2inbox=", "isDraft": False,
    }


def page(count: int) -> bytes:
    return json.dumps({"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#Collection(message)",
                       "@odata.nextLink": "https://graph.microsoft.com/v1.0/me/mailFolders/inbox/messages/delta"
                                          "?$skiptoken=abc", "value": [message(n) for n in range(count)]}).encode()


def best_of(repeat: int, fn) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    raw = page(args.messages)
    factory = JsonParseNodeFactory()

    def with_sdk():
        node = factory.get_root_parse_node("application/json", raw)
        result = node.get_object_value(DeltaGetResponse)
        assert len(result.value) == args.messages

    def with_json():
        assert len(json.loads(raw)["value"]) == args.messages

    def with_orjson():  # what graph_sync/msgraph_adapter.py uses
        assert len(orjson.loads(raw)["value"]) == args.messages

    with_sdk()  # import and first-use costs are not what we compare
    sdk = best_of(args.repeat, with_sdk)
    plain = best_of(max(args.repeat, 5), with_json)
    fast = best_of(max(args.repeat, 5), with_orjson)
    rows = {
        "messages": args.messages, "page_bytes": len(raw),
        "msgraph_models_seconds": round(sdk, 4), "json_loads_seconds": round(plain, 5),
        "msgraph_models_per_message_ms": round(sdk / args.messages * 1000, 3),
        "msgraph_models_messages_per_second": round(args.messages / sdk),
        "ratio_models_to_json": round(sdk / plain, 1), "orjson_loads_seconds": round(fast, 5),
        "ratio_json_to_orjson": round(plain / fast, 2),
    }
    print(f"{'parser':<22}{'seconds':>10}{'msgs/s':>12}")
    print(f"{'msgraph-sdk models':<22}{sdk:>10.4f}{args.messages / sdk:>12,.0f}")
    print(f"{'json.loads':<22}{plain:>10.5f}{args.messages / plain:>12,.0f}")
    print(f"{'orjson.loads':<22}{fast:>10.5f}{args.messages / fast:>12,.0f}")
    print(f"models / json: {rows['ratio_models_to_json']}x slower "
          f"({rows['msgraph_models_per_message_ms']} ms per message); json / orjson: {rows['ratio_json_to_orjson']}x")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "graph_parse.json").write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
