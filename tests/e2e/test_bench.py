"""`make bench` in miniature, so the benchmark keeps working: every phase runs against the
real system and broker and every case it submits reaches a final state. It checks what the
benchmark measured, never how fast (figures come from `make bench` itself)."""

from __future__ import annotations

import json
import statistics

import pytest

from onestep_local.bench.run import Options, run, table


@pytest.mark.timeout(600)
def test_the_benchmark_measures_every_phase(tmp_path):
    out = tmp_path / "bench.json"
    report = run(
        Options(
            rate=20,
            latency_s=3,
            throughput_s=4,
            intake_s=2,
            concurrency=8,
            transport_records=5000,
            parts_s=1,
            settle_s=240,
            out=out,
        ),
        home=tmp_path / "system",
    )
    assert json.loads(out.read_text())["store"] == "sqlite"
    expected = {"intake", "ledger", "notify", "market-regulation", "fire-rescue", "urban-management", "kafka", "bench"}
    assert report["latency"]["not_final"] == 0 and report["latency"]["submit_to_final_ms"]["cases"] == 60
    hops = report["latency"]["hops_ms"]
    assert [hop["cases"] for hop in hops.values()] == [60] * 4
    # the hops from due to application, from application to last decision and on to final make up each case's time
    (intake_hop, _opened, departments_hop, final_hop) = (hop["mean"] for hop in hops.values())
    total = report["latency"]["submit_to_final_ms"]["mean"]
    assert intake_hop + departments_hop + final_hop == pytest.approx(total, abs=0.3)
    throughput = report["throughput"]
    assert throughput["not_final"] == 0 and throughput["final"] == throughput["accepted"] > 0
    warm_up, steady = 50 * 4, 20 * 3  # the benchmark's warm-up, then the latency phase
    # three departments approve every case, warm-up and latency phase included
    assert throughput["outcomes"] == {"approved": warm_up + steady + throughput["final"]}
    assert report["intake_alone"]["not_final"] == 0 and report["intake_alone"]["accepted"] > 0
    # while intake runs alone the consumers are stopped: intake has the cores, they none
    used = report["intake_alone"]["cores_used"]
    assert expected <= set(used) and used["intake"] > 0.1
    assert [name for name in ("ledger", "notify", "market-regulation") if used[name] > 0] == []
    (meanwhile,) = [line for line in table(report).splitlines() if "cores used meanwhile" in line]
    assert "intake" in meanwhile and "ledger" not in meanwhile
    cases = warm_up + steady + throughput["accepted"] + report["intake_alone"]["accepted"]
    replay = report["replay"]
    assert replay["cases"] == cases and replay["events"] > replay["folded_events"] > cases  # timers not folded
    # who had the cores while it rebuilt: its processes (their CPU counted), the broker beside them
    assert replay["cores_used"]["rebuild"] > 0.1 and set(replay["cores_used"]) == {"rebuild", "kafka"}
    assert 0 < replay["host"]["busy_cores"] <= replay["host"]["cores"]
    assert "cores the rebuild and the servers kept busy: rebuild" in table(report)
    assert report["transport"]["records"] == 5000 and report["transport"]["produced_per_s"] > 0
    assert expected <= set(report["peak_rss_mb"]) and expected <= set(throughput["cpu_ms_per_case"])
    # intake runs in two workers under a supervisor: their CPU is counted, not only the supervisor's
    assert report["options"]["intake_workers"] == 2
    assert throughput["cpu_ms_per_case"]["intake"] > throughput["cpu_ms_per_case"]["market-regulation"] / 4
    assert len(report["targets"]) == 5 and all(isinstance(row["met"], bool) for row in report["targets"])
    assert "ledger replay" in table(report) and "ledger: last decision → final" in table(report)
    assert report["machine"]["python_executable"] in table(report)  # which interpreter's build ran it
    # the machine's own speed and its cores over the throughput phase
    gauge, host = throughput["machine_gauge"], throughput["host"]
    assert gauge["samples"] >= 2 and 0 < gauge["p10"] <= gauge["median"] <= gauge["p90"]
    assert 0 < host["busy_cores"] <= host["cores"] and 0 <= host["steal_pct"] <= 100
    assert f"gauge {gauge['median']} ({gauge['p10']}-{gauge['p90']};" in table(report)
    # the parts the targets came with, measured before the system started, each against its rate there
    parts = report["parts"]
    assert set(parts["parts"]) == {"validated_post", "load_add_save", "new_aggregate", "replay"}
    ratios = [part["measured"] / part["reference"] for part in parts["parts"].values()]
    assert all(ratio > 0 for ratio in ratios) and parts["idle_gauge"] > 0
    assert parts["against_reference"] == pytest.approx(statistics.median(ratios), abs=0.01)
    assert f"this one ran their parts at {parts['against_reference']} times their rates" in table(report)
    kept = {path.relative_to(tmp_path / "system").as_posix() for path in (tmp_path / "system").rglob("*")}
    assert {"system/ledger.log", "system/intake.log"} <= kept  # the processes' logs stay
    assert not [path for path in kept if "sqlite" in path or path.startswith(("kafka", "system/materials"))]
