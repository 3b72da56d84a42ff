"""Prometheus metrics of Graph traffic and the sync (per process)."""
from prometheus_client import Counter, Histogram

GRAPH_CALLS = Counter("dealpane_graph_calls_total", "Microsoft Graph calls by outcome status", ["status"])
THROTTLE_WAIT = Histogram("dealpane_graph_throttle_wait_seconds", "Time spent waiting on Retry-After / backoff",
                          buckets=(0.1, 0.5, 1, 2, 5, 10, 30, 60))
SYNC_ITEMS = Counter("dealpane_sync_items_total", "Items seen by the sync", ["resource_kind"])
SYNC_PAGES = Counter("dealpane_sync_pages_total", "Delta pages applied")
