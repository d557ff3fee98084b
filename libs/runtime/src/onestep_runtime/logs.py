"""One log format for every service. Personal data (ID numbers, phones) is never logged:
log case ids and event ids, never application contents."""

import logging
import os


def configure_logging() -> None:
    logging.basicConfig(
        level=os.environ.get("ONESTEP_LOG_LEVEL", "INFO").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # aiokafka logs every refused connection while a broker restarts; our loops report retries.
    logging.getLogger("aiokafka").setLevel(logging.WARNING)
