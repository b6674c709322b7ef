"""gunicorn's settings file, read from the working directory when gunicorn starts (the image
runs gunicorn from the directory that holds it): hooks for Prometheus metrics across worker
processes.

gunicorn serves with several worker processes, and each counts its own requests. With
``PROMETHEUS_MULTIPROC_DIR`` set (in the environment, before any process starts: the
Prometheus client reads it when imported), every worker writes its counters to files there
and ``/metrics`` adds up all of them, whichever worker answers (prometheus_client's
multiprocess mode; django-prometheus's view reads them). These hooks empty the directory when
gunicorn starts, so counts do not carry over from an earlier run, and mark a worker that
exited as dead (its counters stay in the sum; its live gauges go). Without the variable they
do nothing, and with more than one worker each scrape would see one worker's numbers.

A file rather than a module of the marketplace package: importing the package would import
the Celery app, whose settings default (development) would then pass to the workers.
"""

from __future__ import annotations

import os
from pathlib import Path


def _directory() -> Path | None:
    value = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
    return Path(value) if value else None


def on_starting(server) -> None:
    """In the master, before any worker: an empty directory for this run's metrics."""
    directory = _directory()
    if directory is None:
        return
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()


def child_exit(server, worker) -> None:
    """In the master, when a worker has exited."""
    if _directory() is None:
        return
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
