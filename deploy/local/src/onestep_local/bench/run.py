"""`onestep-bench` / `make bench`: starts the whole system on this machine (broker, intake,
ledger, notify, three department gateways on `rules`, a portal's webhook), loads it through
intake's HTTP API with restaurants that three departments approve, and measures:

- latency: submit → approved p50/p95/p99 at a fixed offered load below saturation;
- throughput: cases/s reaching a final state while portals submit flat out for a while;
- intake alone: accepted applications/s while everything behind it is paused (SIGSTOP), and
  then how fast the rest works off the backlog;
- ledger replay: events/s when the case read model is rebuilt from the ledger's store;
- resident memory (peak) of each process, and CPU milliseconds per case of each;
- the transport's own ceiling: Kafka's producer and consumer performance tools on the same
  broker with records the size of onestep's, and onestep's throughput as a share of it;
- the machine's own speed over the throughput phase (a fixed piece of Python work's rate,
  sampled each second), and the cores busy and the host's steal meanwhile: the same code
  measures up to a third apart from hour to hour on this machine;
- before the system starts, the parts whose rates the targets came with (FastAPI, the
  eventsourcing library), against those rates: how fast this machine is against the one the
  targets were set on (`parts`).

    onestep-bench [--store sqlite|postgres] [--rate 100] [--throughput-s 60] [--out var/bench/x.json] [--keep-data]

Results go to a JSON file and a table. A benchmark, not a test: it asserts nothing; the
targets are printed beside the figures. What the run stored (a few GB: the broker's log, the
stores) is removed after it, the processes' logs kept, unless --keep-data.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import signal
import sys
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import uvloop

from ..kafka_broker import REPO, KafkaBroker, free_port
from ..postgres import PostgresCluster
from ..stack import WEBHOOK_SECRET, Service, System
from . import parts, replay, transport
from .finals import Finals
from .hops import hops_ms
from .load import Portal, Submitted
from .machine import Gauge, HostCpu
from .percentiles import summary_ms
from .processes import Watched, cores_used, cpu_per_case, stopped, tree_cpu_seconds

CONSUMERS = ("ledger", "notify", "market-regulation", "fire-rescue", "urban-management", "webhook")
STOP_WAIT_S = 5.0  # how long the consumers may take to stop for the intake-alone phase


TARGETS = {  # docs/performance.md: what one 2-core machine should carry
    "throughput_cases_per_s": {"sqlite": 500, "postgres": 300},
    "p99_ms_at_100_per_s": 500,
    "intake_accepted_per_s": 2000,
    "replay_events_per_s": 20000,
    "max_rss_mb": 200,
}


@dataclass
class Options:
    store: str = "sqlite"
    partitions: int = 6
    rate: float = 100.0
    latency_s: float = 30.0
    throughput_s: float = 60.0
    intake_s: float = 15.0
    concurrency: int = 64
    ledgers: int = 1  # ledger instances in one consumer group, sharing the partitions
    intake_workers: int = 2  # intake's processes (INTAKE_WORKERS), one per core
    replay_processes: int = 2  # processes of the ledger replay, one per core
    transport_records: int = 200_000
    # The portal takes its webhook deliveries in batches of up to this many events (CloudEvents'
    # batched mode), as a portal at a province's volume would; 0: one event per POST.
    webhook_batch: int = 100
    settle_s: float = 600.0
    parts_s: float = 5.0  # how long the targets' validated POST is measured (`parts`)
    out: Path | None = None
    keep_data: bool = False  # the broker's log and the stores, a few GB a run


def latency_ms(submitted: Submitted, finals: Finals) -> dict[str, float]:
    return summary_ms([1000 * (finals.at[c] - at) for c, at in submitted.at.items() if c in finals.at])


class Bench:
    def __init__(self, options: Options, home: Path):
        self.options = options
        self.home = home
        self.broker = KafkaBroker(home / "kafka", port=free_port())
        self.postgres = PostgresCluster(home / "postgres", port=free_port()) if options.store == "postgres" else None
        self.system: System | None = None
        self.watched: Watched | None = None

    def start(self) -> None:
        self.broker.start()
        self.broker.create_topics(self.options.partitions)
        sink = Service("webhook", "onestep_local.webhook_sink", free_port(), {}, self.home)
        sink.args = ["--port", str(sink.port), "--secret", WEBHOOK_SECRET, "--quiet"]
        run_id = uuid.uuid4().hex[:8]
        self.system = System(
            self.broker,
            self.home / "system",
            webhook_url=f"{sink.url}/onestep",
            run_id=run_id,
            webhook_batch=self.options.webhook_batch,
            intake_workers=self.options.intake_workers,
        )
        self.system.add(sink)
        if self.postgres:
            self.postgres.start()  # (the parts have started it, unless they were not measured)
            self.system.on_postgres(self.postgres, "ledger", "notify", *CONSUMERS[2:5])
        ledger = self.system["ledger"]
        for n in range(2, self.options.ledgers + 1):
            more = self.system.add(
                Service(f"ledger-{n}", ledger.module, free_port(), dict(ledger.env), self.system.home)
            )
            more.env["LEDGER_PORT"] = str(more.port)
        for service in self.system.services.values():
            service.env["ONESTEP_LOG_LEVEL"] = "WARNING"
        self.system.start()
        pids = {name: service.process.pid for name, service in self.system.services.items()}
        servers = {"postgres": self.postgres.pid} if self.postgres else {}
        self.watched = Watched(
            {**pids, "kafka": self.broker.process.pid, "bench": os.getpid()}, servers, frozenset({"intake"})
        ).start()

    def stop(self) -> None:
        if self.watched:
            self.watched.stop()
        if self.system:
            self.system.stop()
        self.broker.stop()
        if self.postgres:
            self.postgres.stop()

    def pause_consumers(self, paused: bool) -> None:
        """Stops (SIGSTOP) or resumes everything behind intake. Stopping returns once every
        thread has stopped: until then a process still runs, and its CPU would count as taken
        from intake while it ran alone."""
        pids = [
            service.process.pid
            for name, service in self.system.services.items()
            if name in CONSUMERS or name.startswith("ledger-")
        ]
        for pid in pids:
            os.kill(pid, signal.SIGSTOP if paused else signal.SIGCONT)
        if not paused:
            return
        deadline = time.monotonic() + STOP_WAIT_S
        while not all(stopped(pid) for pid in pids):
            if time.monotonic() > deadline:
                print(f"warning: the consumers had not all stopped after {STOP_WAIT_S} s", file=sys.stderr)
                return
            time.sleep(0.005)

    async def load(self) -> dict[str, Any]:
        options, results = self.options, {}
        portal = Portal(self.system["intake"].url, options.concurrency)
        finals = await Finals(self.broker.bootstrap_servers).start()
        try:
            await portal.upload_materials()
            warm = await portal.at_rate(50, 4)
            await finals.wait_for(warm.at, options.settle_s)

            steady = await portal.at_rate(options.rate, options.latency_s)
            missing = await finals.wait_for(steady.at, options.settle_s)
            results["latency"] = {
                "offered_per_s": options.rate,
                "seconds": options.latency_s,
                "late_starts": steady.behind,
                "not_final": len(missing),
                "submit_to_final_ms": latency_ms(steady, finals),
                "hops_ms": await hops_ms(self.broker.bootstrap_servers, steady, finals),
            }

            cpu_before, host_before = self.watched.cpu(), HostCpu.now()
            with Gauge() as gauge:
                flat = await portal.flat_out(options.throughput_s)
                missing = await finals.wait_for(flat.at, options.settle_s)
            cpu_after, host = self.watched.cpu(), HostCpu.now().since(host_before)
            done = [finals.at[c] for c in flat.at if c in finals.at]
            span = max(done) - flat.started if done else float("nan")
            results["throughput"] = {
                "portals": options.concurrency,
                "submitting_s": round(flat.ended - flat.started, 1),
                "accepted": len(flat.at),
                "accepted_per_s": round(flat.per_s, 1),
                "final": len(done),
                "not_final": len(missing),
                "first_submit_to_last_final_s": round(span, 1),
                "cases_per_s": round(len(done) / span, 1) if done else 0.0,
                "outcomes": dict(finals.outcomes),
                "refused": flat.refused,
                "cpu_ms_per_case": cpu_per_case(cpu_before, cpu_after, len(done)),
                "host": host,
                "machine_gauge": gauge.summary(),
                "submit_to_final_ms": latency_ms(flat, finals),
            }

            self.pause_consumers(True)
            try:
                cpu_before, watched_from = self.watched.cpu(), time.monotonic()
                alone = await portal.flat_out(options.intake_s)
                cpu_after, watched_s = self.watched.cpu(), time.monotonic() - watched_from
            finally:
                self.pause_consumers(False)
            resumed = time.time()
            missing = await finals.wait_for(alone.at, options.settle_s)
            drained = [finals.at[c] for c in alone.at if c in finals.at]
            results["intake_alone"] = {
                "portals": options.concurrency,
                "accepted": len(alone.at),
                "accepted_per_s": round(alone.per_s, 1),
                "refused": alone.refused,
                "backlog_worked_off_per_s": round(len(drained) / (max(drained) - resumed), 1) if drained else 0.0,
                "not_final": len(missing),
                # Who had the cores meanwhile: the consumers are stopped, but the broker, the load
                # generator and a store (busy after the flat-out phase, say) take some from intake.
                "cores_used": cores_used(cpu_before, cpu_after, watched_s),
            }
            results["case_events_read"] = finals.case_events
        finally:
            await finals.stop()
            await portal.close()
        return results

    def parts(self) -> dict[str, Any]:
        """The targets' parts (`parts`), before the system starts: the machine idle but for the
        store's server."""
        if self.postgres:
            self.postgres.start()
        return parts.measure(self.options.store, self.fresh_store("parts"), post_s=self.options.parts_s)

    def fresh_store(self, name: str) -> dict[str, str]:
        """A new database of the run's store, by the eventsourcing library's variables."""
        if self.postgres:
            database = f"{name}_{uuid.uuid4().hex[:8]}"
            self.postgres.create_database(database)
            return self.postgres.eventsourcing_env(database)
        return {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(self.home / f"{name}.sqlite")}

    def replay(self) -> dict[str, Any]:
        """With every service stopped, as for the transport's ceiling: a rebuild by two processes
        takes both cores, and idle, the gateways, notify and intake polled for about 7 % of a
        core between them, the broker answering them for another 5-6 %."""
        ledger = self.system["ledger"]
        self.system.stop()
        running = {"kafka": self.broker.process.pid, **self.watched.servers}
        return replay.measure(
            ledger.env,
            {**self.fresh_store("replay"), "CIPHER_KEY": ledger.env["CIPHER_KEY"]},
            self.options.replay_processes,
            servers=lambda: {name: tree_cpu_seconds(pid) for name, pid in running.items()},
        )

    def transport(self, record_bytes: int) -> dict[str, Any]:
        """With every service stopped, so the broker has the machine as the system had it."""
        self.system.stop()
        ceiling = transport.measure(
            self.broker.bootstrap_servers,
            record_bytes=record_bytes,
            records=self.options.transport_records,
            partitions=self.options.partitions,
        )
        return ceiling.as_dict()


def drop_data(home: Path) -> None:
    """What a run stored (the broker's log, the services' stores, the replayed view) goes; the
    report and the processes' logs stay."""
    for directory in (home, home / "system"):
        for path in list(directory.iterdir()) if directory.is_dir() else ():
            if path.suffix in (".json", ".log") or path == home / "system":
                continue
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()


def run(options: Options, home: Path | None = None) -> dict[str, Any]:
    """`home`: where the system keeps its stores and logs (default var/bench/<time>-<store>)."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    home = home or REPO / "var" / "bench" / f"{stamp}-{options.store}"
    home.mkdir(parents=True)
    bench = Bench(options, home)
    report: dict[str, Any] = {
        "machine": {
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "python_executable": os.path.realpath(sys.executable),
            "platform": platform.platform(),
        },
        "store": options.store,
        "options": {k: str(v) if isinstance(v, Path) else v for k, v in asdict(options).items()},
        "started_at": stamp,
    }
    out = options.out or home / "bench.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        report["parts"] = bench.parts()
        bench.start()
        # On uvloop, as the services are (uvicorn picks it): the load generator shares their two cores.
        report.update(uvloop.run(bench.load()))
        out.write_text(json.dumps(report, indent=2))  # what was measured so far, should a later phase fail
        report["replay"] = bench.replay()
        record_bytes = asyncio.run(transport.typical_record_bytes(bench.broker.bootstrap_servers))
        report["transport"] = bench.transport(record_bytes)
    finally:
        bench.stop()
        if not options.keep_data:
            drop_data(home)
        peaks = bench.watched.peak_rss_mb if bench.watched else {}
        report["peak_rss_mb"] = {name: round(mb, 1) for name, mb in sorted(peaks.items())}
        out.write_text(json.dumps(report, indent=2))
    report["transport"]["onestep_cases_per_s_share_of_produced_records_per_s"] = round(
        report["throughput"]["cases_per_s"] / report["transport"]["produced_per_s"], 4
    )
    report["targets"] = targets(report)
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    report["written_to"] = str(out)
    return report


def targets(report: dict[str, Any]) -> list[dict[str, Any]]:
    store = report["store"]
    services = {k: v for k, v in report["peak_rss_mb"].items() if k not in ("kafka", "bench")}
    rows = [
        ("end-to-end cases/s", report["throughput"]["cases_per_s"], ">=", TARGETS["throughput_cases_per_s"][store]),
        ("p99 submit→final ms at offered load", report["latency"]["submit_to_final_ms"]["p99"], "<=", 500),
        ("intake accepted/s", report["intake_alone"]["accepted_per_s"], ">=", TARGETS["intake_accepted_per_s"]),
        ("ledger replay events/s", report["replay"]["events_per_s"], ">=", TARGETS["replay_events_per_s"]),
        ("largest service RSS MB", max(services.values(), default=0), "<=", TARGETS["max_rss_mb"]),
    ]
    return [
        {
            "figure": name,
            "measured": value,
            "target": f"{op} {goal}",
            "met": value >= goal if op == ">=" else value <= goal,
        }
        for name, value, op, goal in rows
    ]


def table(report: dict[str, Any]) -> str:
    lat, thr, alone, rep, tr = (
        report["latency"],
        report["throughput"],
        report["intake_alone"],
        report["replay"],
        report["transport"],
    )
    lines = [
        f"onestep bench — {report['machine']['cores']} cores, {report['store']} stores,"
        f" {report['options']['ledgers']} ledger(s), intake in {report['options'].get('intake_workers', 1)} process(es),"
        f" {report['options']['partitions']} partitions,"
        f" webhook batch {report['options'].get('webhook_batch', 0)},"
        f" Python {report['machine']['python']} ({report['machine'].get('python_executable', '?')}), {report['started_at']}",
        machine_line(report),
        parts_line(report),
        "",
        f"{'figure':<42} {'measured':>12}  target",
    ]
    for row in report["targets"]:
        lines.append(f"{row['figure']:<42} {row['measured']:>12}  {row['target']}  {'met' if row['met'] else 'MISSED'}")
    ms = lat["submit_to_final_ms"]
    lines += [
        "",
        f"latency at {lat['offered_per_s']}/s for {lat['seconds']} s: p50 {ms['p50']} ms, p95 {ms['p95']} ms,"
        f" p99 {ms['p99']} ms ({ms['cases']} cases, {lat['late_starts']} late starts); by hop, p50 / p99 ms:",
        *(f"  {hop:<42} {span['p50']:>8} / {span['p99']}" for hop, span in lat.get("hops_ms", {}).items()),
        f"throughput: {thr['final']} cases final in {thr['first_submit_to_last_final_s']} s"
        f" = {thr['cases_per_s']}/s (intake took {thr['accepted_per_s']}/s from {thr['portals']} portals)",
        f"intake alone: {alone['accepted_per_s']}/s; the backlog worked off at {alone['backlog_worked_off_per_s']}/s",
        "  cores used meanwhile: "
        + ", ".join(
            f"{name} {used:.2f}"
            for name, used in sorted(alone.get("cores_used", {}).items(), key=lambda item: -item[1])
            if used >= 0.01
        ),
        f"ledger replay: {rep['events']} events ({rep['folded_events']} folded, {rep['cases']} cases)"
        f" in {rep['seconds']} s = {rep['events_per_s']}/s by {rep.get('processes', 1)} process(es)"
        f" of up to {rep.get('peak_rss_mb', '-')} MB",
        "  cores the rebuild and the servers kept busy: "
        + ", ".join(f"{name} {used:.2f}" for name, used in rep.get("cores_used", {}).items())
        + f"; {rep.get('host', {}).get('busy_cores', '-')} of {rep.get('host', {}).get('cores', '-')} busy,"
        f" steal {rep.get('host', {}).get('steal_pct', '-')} %",
        f"transport ({tr['record_bytes']} B records): produced {tr['produced_per_s']}/s (p99 {tr['produce_p99_ms']} ms),"
        f" consumed {tr['consumed_per_s']}/s; onestep cases/s ÷ produced records/s ="
        f" {tr['onestep_cases_per_s_share_of_produced_records_per_s']}",
        "",
        f"{'process':<20} {'peak RSS MB':>12} {'CPU ms/case':>12}",
    ]
    cpu, rss = thr["cpu_ms_per_case"], report["peak_rss_mb"]
    for name in sorted(set(rss) | set(cpu)):  # a server's per-connection processes share memory: no RSS
        lines.append(f"{name:<20} {rss.get(name, '-'):>12} {cpu.get(name, float('nan')):>12}")
    lines.append(f"{'all':<20} {'':>12} {round(sum(cpu.values()), 3):>12}")
    return "\n".join(lines)


def machine_line(report: dict[str, Any]) -> str:
    host, gauge = report["throughput"].get("host", {}), report["throughput"].get("machine_gauge", {})
    return (
        f"the machine over the throughput phase: gauge {gauge.get('median', '-')}"
        f" ({gauge.get('p10', '-')}-{gauge.get('p90', '-')}; a fixed piece of Python work a CPU second:"
        f" compare runs by it), {host.get('busy_cores', '-')} of {host.get('cores', '-')} cores busy,"
        f" steal {host.get('steal_pct', '-')} %"
    )


def parts_line(report: dict[str, Any]) -> str:
    measured = report.get("parts", {})
    return (
        f"the targets' machine: this one ran their parts at {measured.get('against_reference', '-')} times their rates"
        f" before the run (idle gauge {measured.get('idle_gauge', '-')}): "
        + ", ".join(
            f"{name} {part['measured']:.0f}/{part['reference']}" for name, part in measured.get("parts", {}).items()
        )
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="onestep-bench", description=__doc__.split("\n\n")[0])
    defaults = Options()
    parser.add_argument("--store", choices=["sqlite", "postgres"], default=defaults.store)
    parser.add_argument("--partitions", type=int, default=defaults.partitions)
    parser.add_argument("--rate", type=float, default=defaults.rate, help="offered load of the latency phase, per s")
    parser.add_argument("--latency-s", type=float, default=defaults.latency_s)
    parser.add_argument("--throughput-s", type=float, default=defaults.throughput_s)
    parser.add_argument("--intake-s", type=float, default=defaults.intake_s)
    parser.add_argument("--concurrency", type=int, default=defaults.concurrency, help="portals submitting at once")
    parser.add_argument("--ledgers", type=int, default=defaults.ledgers, help="ledger instances in one group")
    parser.add_argument(
        "--intake-workers", type=int, default=defaults.intake_workers, help="intake's processes (INTAKE_WORKERS)"
    )
    parser.add_argument(
        "--replay-processes", type=int, default=defaults.replay_processes, help="processes of the ledger replay"
    )
    parser.add_argument(
        "--webhook-batch", type=int, default=defaults.webhook_batch, help="events per webhook POST; 0: one, unbatched"
    )
    parser.add_argument("--transport-records", type=int, default=defaults.transport_records)
    parser.add_argument(
        "--parts-s", type=float, default=defaults.parts_s, help="how long the targets' validated POST is measured"
    )
    parser.add_argument("--keep-data", action="store_true", help="keep the broker's log and the stores of the run")
    parser.add_argument("--out", type=Path, help="the JSON file (default var/bench/<time>-<store>/bench.json)")
    args = parser.parse_args(argv)
    report = run(Options(**{k.replace("-", "_"): v for k, v in vars(args).items()}))
    print(table(report))
    print(f"\n{report['written_to']}")


if __name__ == "__main__":
    main()
