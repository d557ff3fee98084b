"""One log format for every service. Personal data (ID numbers, phones) is never logged:
log case ids and event ids, never application contents."""

import logging
import os
import shutil
import tempfile
from pathlib import Path

import uvicorn

from . import heap

MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"  # read by prometheus_client as it is imported


def configure_logging() -> None:
    logging.basicConfig(
        level=os.environ.get("ONESTEP_LOG_LEVEL", "INFO").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # aiokafka logs every refused connection while a broker restarts; our loops report retries.
    logging.getLogger("aiokafka").setLevel(logging.WARNING)


def serve(app, *, host: str, port: int) -> None:
    """Runs a service's app with uvicorn. Its access log (a line per request) is off unless
    ONESTEP_ACCESS_LOG=1: at a province's rate it cost intake a tenth of its time, and
    intake's /metrics counts applications accepted and refused. What the app has built by now
    is frozen out of the garbage collector's sight (`heap.settle`)."""
    heap.settle()
    uvicorn.run(app, host=host, port=port, log_level="info", access_log=_access_log())


def serve_workers(factory: str, *, workers: int, host: str, port: int) -> None:
    """Runs `workers` processes of a stateless service's app on one socket, each built by
    `factory` ("module:function", imported in each worker, which settles its own heap). uvicorn's
    supervisor starts a worker again if one dies. Their metrics are added up: each worker writes
    its own to files in one directory (prometheus_client's multiprocess mode; the directory is
    PROMETHEUS_MULTIPROC_DIR, emptied of a previous run's files, or a new one), and /metrics
    reads them all, whichever worker answers the scrape."""
    made = None
    if given := os.environ.get(MULTIPROC_DIR):
        for left in Path(given).glob("*.db"):  # a previous run's counts
            left.unlink()
    else:
        made = os.environ[MULTIPROC_DIR] = tempfile.mkdtemp(prefix="onestep-metrics-")
    try:
        uvicorn.run(
            factory, factory=True, workers=workers, host=host, port=port, log_level="info", access_log=_access_log()
        )
    finally:
        if made:
            shutil.rmtree(made, ignore_errors=True)


def _access_log() -> bool:
    return os.environ.get("ONESTEP_ACCESS_LOG", "0").lower() in ("1", "true", "yes")
