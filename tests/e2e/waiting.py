from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def eventually(probe: Callable[[], Any], *, timeout_s: float = 60.0, interval_s: float = 0.25) -> Any:
    """Polls until the probe returns something truthy; fails with the last value seen."""
    deadline = time.monotonic() + timeout_s
    last = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(interval_s)
    raise AssertionError(f"condition not reached in {timeout_s}s; last: {last!r}")
