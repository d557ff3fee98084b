"""The benchmark's readings of the machine itself: the gauge's fixed work, and the host's cores
as /proc/stat counts them."""

from __future__ import annotations

import os
import time

from onestep_local.bench.machine import Gauge, HostCpu, gauge


def test_the_gauge_counts_the_fixed_work_a_cpu_second():
    first, second = gauge(0.2), gauge(0.2)
    assert first > 0 and second > 0
    # the same work on the same machine, moments apart: rates of one order, not one the other's tenth
    assert 0.1 < first / second < 10


def test_the_gauge_samples_while_a_phase_runs():
    with Gauge(every_s=0.05, sample_s=0.005) as sampled:
        time.sleep(0.5)
    summary = sampled.summary()
    assert summary["samples"] == len(sampled.samples) >= 3
    assert 0 < summary["p10"] <= summary["median"] <= summary["p90"]
    time.sleep(0.2)
    assert len(sampled.samples) == summary["samples"]  # it stopped with the phase


def test_the_gauge_tenths_stay_within_the_samples_when_a_short_phase_had_a_slow_one():
    sampled = Gauge()
    sampled.samples = [1_000.0, 50_000.0, 60_000.0]  # one sample taken while the thread waited for the core
    summary = sampled.summary()
    assert 1_000 <= summary["p10"] <= summary["median"] == 50_000 <= summary["p90"] <= 60_000


def test_host_cpu_between_two_readings_is_the_cores_busy_and_the_steal_share():
    cores = os.cpu_count()
    before = HostCpu(busy=1_000, steal=10, total=2_000)
    after = HostCpu(busy=1_000 + 380, steal=10 + 8, total=2_000 + 400)
    assert after.since(before) == {"cores": cores, "busy_cores": round(cores * 0.95, 2), "steal_pct": 2.0}


def test_host_cpu_is_read_from_the_kernel():
    before = HostCpu.now()
    sum(range(5_000_000))  # some CPU of this process's, so the kernel's count moves
    since = HostCpu.now().since(before)
    assert 0 < since["busy_cores"] <= since["cores"] and 0 <= since["steal_pct"] <= 100
