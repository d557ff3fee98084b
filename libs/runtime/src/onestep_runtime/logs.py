"""One log format for every service. Personal data (ID numbers, phones) is never logged:
log case ids and event ids, never application contents."""

import logging
import os

import uvicorn

from . import heap


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
    access_log = os.environ.get("ONESTEP_ACCESS_LOG", "0").lower() in ("1", "true", "yes")
    uvicorn.run(app, host=host, port=port, log_level="info", access_log=access_log)
