"""Health endpoints, request ids, JSON logs and Prometheus metrics for the web tier.

Metrics are not served on the app port by default. DEALPANE_METRICS_BIND (host:port) serves them on a
listener of their own in gunicorn's master process, summed over the workers with prometheus_client's
multiprocess mode (addin/gunicorn_conf.py); DEALPANE_METRICS_TOKEN serves GET /metrics on the app port
to "Authorization: Bearer <token>" only (compared in constant time). Graph and sync metrics live in
graph_sync.metrics.
"""
from __future__ import annotations

import hmac
import json
import logging
import os
import sys
import time
import uuid

from flask import Flask, g, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Histogram, generate_latest, multiprocess

from addin.errors import problem
from storage.i18n import _
from storage import migrate

REQUEST_LATENCY = Histogram(
    "dealpane_http_request_seconds", "HTTP request latency by route", ["route", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
REQUEST_ID_HEADER = "X-Request-Id"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: what log shippers want when we are not on a terminal."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"), "level": record.levelname,
                 "logger": record.name, "message": record.getMessage()}
        request_id = getattr(record, "request_id", None)
        if request_id:
            entry["request_id"] = request_id
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            record.request_id = g.get("request_id")
        except RuntimeError:  # outside a request
            record.request_id = None
        return True


def configure_logging(level: int = logging.INFO, json_lines: bool | None = None) -> None:
    """JSON lines when stderr is not a terminal, readable text when it is."""
    json_lines = (not sys.stderr.isatty()) if json_lines is None else json_lines
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter() if json_lines else
                         logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)


def register_observability(app: Flask) -> None:
    services = app.extensions["dealpane"]

    @app.before_request
    def _start_request():
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = incoming if 0 < len(incoming) <= 64 and incoming.isprintable() else uuid.uuid4().hex
        g.started = time.perf_counter()

    @app.after_request
    def _finish_request(response):
        response.headers[REQUEST_ID_HEADER] = g.get("request_id", "")
        started = g.get("started")
        if started is not None:
            route = request.url_rule.rule if request.url_rule is not None else "unmatched"
            REQUEST_LATENCY.labels(route, request.method, str(response.status_code)).observe(
                time.perf_counter() - started)
        return response

    @app.get("/healthz", doc_ui=False)
    def healthz():
        """The process is up."""
        return {"status": "ok"}

    @app.get("/readyz", doc_ui=False)
    def readyz():
        """The database answers and its schema is at the migrations' head."""
        try:
            current = migrate.current_revision(services.engine)
        except Exception as error:  # noqa: BLE001 - any database failure means "not ready"
            logging.getLogger(__name__).warning("readiness: database unreachable: %s", type(error).__name__)
            return {"status": "unavailable", "database": "unreachable"}, 503
        head = migrate.head_revision()
        if current != head:
            return {"status": "unavailable", "database": "ok", "schema": current, "expected": head}, 503
        return {"status": "ok", "database": "ok", "schema": current}

    token = services.config.metrics_token
    if token:  # otherwise /metrics is not on the app port at all (404)
        expected = token.encode("utf-8")

        @app.get("/metrics", doc_ui=False)
        def metrics():
            scheme, _space, given = request.headers.get("Authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode("utf-8"), expected):
                return problem(401, _("The metrics need their bearer token (DEALPANE_METRICS_TOKEN)."),
                               headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
            return app.response_class(generate_latest(metrics_registry()), mimetype=CONTENT_TYPE_LATEST)


def metrics_registry():
    """Every worker's metrics summed when prometheus_client's multiprocess mode is on
    (PROMETHEUS_MULTIPROC_DIR), else this process's own."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry
