"""intake in several processes on one port (INTAKE_WORKERS), as `make bench` runs it: each
application answered 202 is published once, /metrics adds up every worker's counts whichever
worker answers the scrape, and a worker that dies is started again while the others answer."""

from __future__ import annotations

import asyncio
import json
import os
import signal

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from onestep_contracts import topics
from onestep_local.bench.processes import children, cpu_seconds
from onestep_local.kafka_broker import free_port
from onestep_local.stack import Service
from onestep_runtime.kafka import read_to_end

from ..e2e.waiting import eventually
from ..scenarios import RESTAURANT_MATERIALS, material_bytes, new_key, restaurant_application

KEY = "workers-test-key"
AUTH = {"Authorization": f"Bearer {KEY}"}


def workers_of(intake: Service) -> list[int]:
    """The supervisor's worker processes (not multiprocessing's resource tracker); a worker
    that ends between being listed and being read is not one of them."""
    found = []
    for pid in children(intake.process.pid):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                if b"spawn_main" in cmdline.read():
                    found.append(pid)
        except (FileNotFoundError, ProcessLookupError):
            continue
    return found


def nice_of(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as stat:
        return int(stat.read().rsplit(")", 1)[1].split()[16])


def submit_each_on_a_new_connection(url: str, count: int) -> list[str]:
    case_ids = []
    for _ in range(count):
        with httpx.Client(base_url=url, headers=AUTH, timeout=15) as portal:
            answer = portal.post(
                "/v1/applications", json=restaurant_application(), headers={"Idempotency-Key": new_key()}
            )
            assert answer.status_code == 202, answer.text
            case_ids.append(answer.json()["case_id"])
    return case_ids


def accepted_in_a_scrape(url: str) -> float:
    with httpx.Client(base_url=url, timeout=15) as scraper:  # a new connection: any worker may answer
        text = scraper.get("/metrics").text
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        if family.name == "onestep_intake_applications_accepted"
        for sample in family.samples
        if sample.name.endswith("_total")
    )


@pytest.mark.timeout(240)
def test_workers_answer_on_one_port_and_count_together(kafka, tmp_path):
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    (metrics_dir / "counter_1.db").write_bytes(b"a previous run's counts")
    intake = Service(
        "intake",
        "onestep_intake.entrypoints.main",
        port := free_port(),
        {
            "INTAKE_KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
            "INTAKE_PORTAL_KEYS": json.dumps({"portal-a": KEY}),
            "INTAKE_MATERIALS_DIR": str(tmp_path / "materials"),
            "INTAKE_PORT": str(port),
            "INTAKE_WORKERS": "2",
            "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        },
        tmp_path,
    )
    intake.start()
    try:
        intake.wait_ready(timeout_s=90)
        eventually(lambda: len(workers_of(intake)) == 2, timeout_s=30)
        # intake yields the CPU to the services behind it (INTAKE_CPU_NICE, 10 by default), its workers too
        assert {nice_of(pid) for pid in [intake.process.pid, *workers_of(intake)]} == {
            min(nice_of(os.getpid()) + 10, 19)
        }
        assert not (metrics_dir / "counter_1.db").exists()
        with httpx.Client(base_url=intake.url, headers=AUTH, timeout=15) as portal:
            for code in RESTAURANT_MATERIALS:
                uploaded = portal.post("/v1/materials", files={"file": (code, material_bytes(code))})
                assert uploaded.status_code == 201, uploaded.text

        workers = workers_of(intake)
        cpu_before = {pid: cpu_seconds(pid) for pid in workers}
        first = submit_each_on_a_new_connection(intake.url, 20)
        # the worker that did more of the work dies, and its counts must still be read
        busiest = max(workers, key=lambda pid: cpu_seconds(pid) - cpu_before[pid])
        os.kill(busiest, signal.SIGKILL)
        eventually(lambda: len(workers_of(intake)) == 2 and busiest not in workers_of(intake), timeout_s=60)
        assert {nice_of(pid) for pid in workers_of(intake)} == {nice_of(intake.process.pid)}  # the new one too
        second = submit_each_on_a_new_connection(intake.url, 20)

        assert [accepted_in_a_scrape(intake.url) for _ in range(10)] == [40.0] * 10
        published = asyncio.run(read_to_end(kafka.bootstrap_servers, topics.APPLICATIONS))
        ours = set(first + second)
        keys = [record.key.decode() for record in published if record.key.decode() in ours]
        assert sorted(keys) == sorted(ours) and len(ours) == 40
        last_workers = workers_of(intake)
    finally:
        intake.stop()
    assert intake.process.poll() is not None
    assert not [pid for pid in last_workers if os.path.exists(f"/proc/{pid}")]  # stopped with it
