"""gunicorn settings of the ceiling's gunicorn candidates (bench/ceiling.py): what
``idp serve`` ran before granian replaced it, kept so the comparison stays the same
(overridable with GUNICORN_* environment variables)."""

import glob
import multiprocessing
import os

workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
# Threads (gthread): keep-alive with the load balancer, and requests waiting on
# PostgreSQL or Redis overlap instead of idling the worker.
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# X-Forwarded-Proto is believed only from the load balancer's addresses (TRUSTED_PROXIES,
# the same list idp.proxy uses for X-Forwarded-For); empty trusts nobody.
forwarded_allow_ips = os.environ.get("TRUSTED_PROXIES", "")
# One JSON object per request (bench.gunicorn_logger.GunicornJsonLogger); errors as JSON too.
logger_class = "bench.gunicorn_logger.GunicornJsonLogger"
accesslog = "-"
errorlog = "-"
preload_app = False
# No control socket: it is one path per user, shared by every replica on the host.
control_socket_disable = True


def on_starting(server):
    """Start with an empty metrics folder: values of a previous run must not add up."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        os.makedirs(folder, exist_ok=True)
        for stale in glob.glob(os.path.join(folder, "*.db")):
            os.unlink(stale)


def child_exit(server, worker):
    """A worker that exits leaves its counters behind but must not be counted as live."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
