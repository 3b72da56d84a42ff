"""gunicorn settings for the Dealpane web tier (`gunicorn -c python:addin.gunicorn_conf ...`).

Prometheus metrics: with DEALPANE_METRICS_BIND=host:port (e.g. 127.0.0.1:9100) the master process
serves them on that listener, summed over every worker with prometheus_client's multiprocess mode
(https://prometheus.github.io/client_python/multiprocess/): workers write their values to files in
PROMETHEUS_MULTIPROC_DIR (a fresh temporary directory unless set; one you set must be emptied before
each start), a worker's files are marked dead when it exits. The app port never serves them unless
DEALPANE_METRICS_TOKEN is set (addin/observability.py).
"""
import logging
import os
import shutil
import sys
import tempfile

from addin.config import Config

# Every setting comes from the one configuration reader (addin/config.py); only PROMETHEUS_MULTIPROC_DIR,
# prometheus_client's own variable, is read and set in the environment below.
_config = Config.from_env()
bind = f"{_config.bind_host}:{_config.port}"
# gunicorn's rule of thumb, 2 x cores + 1 processes, each with 2 threads: the pane's calls are short and
# CPU-bound (threads of one process contend for the GIL: bench/context_latency.py measured the context
# call's p95 at 2.4x the trivial route's with 2 x 4 threads, 1.9-2.5x with 4-5 x 1-2 on 2 cores); the second
# thread keeps a process answering while a request waits on Graph.
workers = _config.web_concurrency or 2 * (os.cpu_count() or 1) + 1
worker_class = "gthread"
threads = _config.threads
timeout = 30  # a request that needs longer is a bug or a stuck Graph call
graceful_timeout = 20
keepalive = 5
max_requests = 100_000  # recycle workers now and then (memory fragmentation); rarely: a new worker starts with cold caches
max_requests_jitter = 10_000
accesslog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms rid=%({x-request-id}o)s'
errorlog = "-"
forwarded_allow_ips = _config.forwarded_allow_ips



METRICS_BIND = _config.metrics_bind
_created_multiproc_dir: list[str] = []  # the temporary directory on_starting made, removed on_exit


def parse_bind(value: str) -> tuple[str, int]:
    """host:port, [v6]:port or a bare port (loopback) -> (host, port)."""
    host, sep, port = value.strip().rpartition(":")
    if not sep:
        host, port = "127.0.0.1", value.strip()
    host = host.strip("[]") or "127.0.0.1"
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"DEALPANE_METRICS_BIND must be host:port, not {value!r}")
    return host, int(port)


def _switch_to_multiprocess_metrics() -> None:
    """Multiprocess mode must be chosen before a metric is made, but the app's modules may already have
    made some (graph_sync's) when they were imported before this hook ran: switch prometheus_client over and give the metrics made
    so far (none of them have children yet: no request has been served in the master) values of the new
    kind, so the workers forked next write theirs to the shared directory."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        path = tempfile.mkdtemp(prefix="dealpane-metrics-")
        _created_multiproc_dir.append(path)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = path
    if "prometheus_client" not in sys.modules:
        return
    from prometheus_client import REGISTRY, values  # noqa: PLC0415

    if isinstance(values.ValueClass, type) and values.ValueClass is values.MutexValue:
        values.ValueClass = values.get_value_class()
        for collector in list(getattr(REGISTRY, "_collector_to_names", {})):
            if not getattr(collector, "_labelnames", ()) and hasattr(collector, "_metric_init"):
                collector._metric_init()  # noqa: SLF001 - re-made with the multiprocess value class


def on_starting(server):  # noqa: ARG001 - gunicorn's hook signature
    """Master, before the workers: multiprocess metrics when they get a listener of their own."""
    if METRICS_BIND:
        parse_bind(METRICS_BIND)  # a typo stops the start, not the first scrape
        _switch_to_multiprocess_metrics()


def when_ready(server):  # noqa: ARG001
    """Master: the metrics listener (DEALPANE_METRICS_BIND), apart from the app port."""
    if not METRICS_BIND:
        return
    from prometheus_client import start_http_server  # noqa: PLC0415

    from addin.observability import metrics_registry  # noqa: PLC0415

    host, port = parse_bind(METRICS_BIND)
    start_http_server(port, addr=host, registry=metrics_registry())
    logging.getLogger("addin.gunicorn_conf").info("Prometheus metrics on http://%s:%s/metrics", host, port)


def child_exit(server, worker):  # noqa: ARG001
    """Master: a worker ended; its gauges' files are marked dead (counters and histograms keep counting)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess  # noqa: PLC0415

        multiprocess.mark_process_dead(worker.pid)


def on_exit(server):  # noqa: ARG001
    for path in _created_multiproc_dir:
        shutil.rmtree(path, ignore_errors=True)


def post_fork(server, worker):  # noqa: ARG001 - gunicorn's hook signature
    """Each worker keeps freed heap instead of handing it back to the OS per request (addin/malloc.py)."""
    from addin.malloc import keep_freed_heap  # noqa: PLC0415

    keep_freed_heap()


SETTINGS = ("on_starting", "when_ready", "child_exit", "on_exit", "post_fork", "workers", "worker_class", "threads", "timeout", "graceful_timeout", "keepalive", "max_requests",
            "max_requests_jitter", "accesslog", "access_log_format", "errorlog", "forwarded_allow_ips")
