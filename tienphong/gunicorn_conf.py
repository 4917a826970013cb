"""gunicorn settings shared by the three services (`tienphong serve NAME` or the compose file)."""

import os

from tienphong import gunicorn_hooks

bind = f"{os.environ.get('TIENPHONG_BIND', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
# Several processes per service (the rate limit and the metrics are kept across them); threads give
# concurrency within each (requests wait on the database).
workers = int(os.environ.get("WEB_CONCURRENCY") or gunicorn_hooks.default_workers())
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
worker_class = "gthread"
timeout = 60
graceful_timeout = 10
accesslog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'
loglevel = os.environ.get("TIENPHONG_LOG_LEVEL", "info").lower()

# This master's state in the data directory (tienphong/gunicorn_hooks.py)
_runtime = gunicorn_hooks.runtime_dir()
_control_socket = gunicorn_hooks.control_socket(_runtime)
if _control_socket is None:
    control_socket_disable = True
else:
    control_socket = _control_socket
gunicorn_hooks.metrics_dir(_runtime)
on_starting = gunicorn_hooks.on_starting
post_fork = gunicorn_hooks.post_fork
child_exit = gunicorn_hooks.child_exit

logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "shared.logging.RedactingFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]}},
    "root": {"handlers": ["console"], "level": loglevel.upper()},
    "loggers": {
        "gunicorn.error": {"handlers": ["console"], "level": loglevel.upper(), "propagate": False},
        "gunicorn.access": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "kafka": {"level": "WARNING"},
    },
}


def post_worker_init(worker: object) -> None:
    """The application's objects, loaded by now, are left out of every later garbage collection, so that a
    full collection during a request does not walk them (not measured separately; a usual gunicorn setup)."""
    import gc
    gc.freeze()


# gunicorn's own 400/414/431 answers in the contract's JSON shape (issue 31), not its HTML page
from tienphong import server_errors  # noqa: E402

server_errors.install()
