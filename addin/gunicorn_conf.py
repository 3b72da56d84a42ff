"""gunicorn settings for the Dealpane web tier (`gunicorn -c python:addin.gunicorn_conf ...`)."""
import os

bind = f"{os.environ.get('DEALPANE_BIND', '0.0.0.0')}:{os.environ.get('PORT', '5000')}"
# gunicorn's rule of thumb, 2 x cores + 1 processes, each with 2 threads: the pane's calls are short and
# CPU-bound (threads of one process contend for the GIL: bench/context_latency.py measured the context
# call's p95 at 2.4x the trivial route's with 2 x 4 threads, 1.9-2.5x with 4-5 x 1-2 on 2 cores); the second
# thread keeps a process answering while a request waits on Graph.
workers = int(os.environ.get("WEB_CONCURRENCY", str(2 * (os.cpu_count() or 1) + 1)))
worker_class = "gthread"
threads = int(os.environ.get("DEALPANE_THREADS", "2"))
timeout = 30  # a request that needs longer is a bug or a stuck Graph call
graceful_timeout = 20
keepalive = 5
max_requests = 100_000  # recycle workers now and then (memory fragmentation); rarely: a new worker starts with cold caches
max_requests_jitter = 10_000
accesslog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms rid=%({x-request-id}o)s'
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")



def post_fork(server, worker):  # noqa: ARG001 - gunicorn's hook signature
    """Each worker keeps freed heap instead of handing it back to the OS per request (addin/malloc.py)."""
    from addin.malloc import keep_freed_heap  # noqa: PLC0415

    keep_freed_heap()


SETTINGS = ("post_fork", "workers", "worker_class", "threads", "timeout", "graceful_timeout", "keepalive", "max_requests",
            "max_requests_jitter", "accesslog", "access_log_format", "errorlog", "forwarded_allow_ips")
