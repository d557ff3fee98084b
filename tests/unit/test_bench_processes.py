"""The benchmark knows when a process it paused has stopped, threads and all."""

import signal
import subprocess
import sys
import time

from onestep_local.bench.processes import cpu_seconds, stopped

BUSY = """
import threading
def spin():
    while True:
        pass
threading.Thread(target=spin, daemon=True).start()
spin()
"""


def wait_for(condition, timeout_s: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


def test_a_stopped_process_is_known_stopped_and_takes_no_more_cpu():
    busy = subprocess.Popen([sys.executable, "-c", BUSY])
    try:
        assert wait_for(lambda: cpu_seconds(busy.pid) > 0.05)
        assert not stopped(busy.pid)
        busy.send_signal(signal.SIGSTOP)
        assert wait_for(lambda: stopped(busy.pid))
        before = cpu_seconds(busy.pid)
        time.sleep(0.3)
        assert cpu_seconds(busy.pid) == before
        busy.send_signal(signal.SIGCONT)
        assert wait_for(lambda: not stopped(busy.pid))
        assert wait_for(lambda: cpu_seconds(busy.pid) > before)
    finally:
        busy.kill()
        busy.wait()


def test_a_process_that_has_ended_counts_as_stopped():
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()  # reaped: its /proc entry is gone
    assert stopped(ended.pid)
