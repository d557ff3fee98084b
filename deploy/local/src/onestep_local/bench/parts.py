"""The parts the targets came with, measured again: how fast this machine is against the one
the targets were set on.

The throughput targets came with raw measurements of their parts "on a machine like this one"
(`REFERENCE`; docs/performance.md): FastAPI answering a validated POST, and the eventsourcing
library saving, creating and replaying small aggregates. This machine is a virtual one whose
speed moves by half from hour to hour, so each run measures the same parts before its system
starts, the machine idle, and reports each one's rate against its reference: a ratio of 1 is
the machine the targets were set on. The gauge (`machine.gauge`) is read beside them, so that
runs which measured no parts can be placed too.

On SQLite a save waits for the disk, as the library's default has it (SQLite's
synchronous FULL). The benchmark's PostgreSQL cluster runs without fsync, so on it the two
parts that save measure more than a production server would give.
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import time
import uuid
from typing import Any

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from fastapi import FastAPI
from pydantic import BaseModel, Field

from onestep_contracts import Applicant, MaterialRef

from ..kafka_broker import free_port
from .load import Portal
from .machine import gauge

# The targets' figures for the parts, by store: requests a second, saves a second, events a second.
REFERENCE = {
    "sqlite": {"validated_post": 3_400, "load_add_save": 1_470, "new_aggregate": 8_900, "replay": 19_000},
    "postgres": {"validated_post": 3_400, "load_add_save": 390, "new_aggregate": 2_200, "replay": 8_000},
}
WHAT = {
    "validated_post": "FastAPI, one uvicorn worker (uvloop, httptools): a validated POST, requests/s",
    "load_add_save": "eventsourcing, a transaction a save: load-add-save of one aggregate, saves/s",
    "new_aggregate": "eventsourcing: a new aggregate with 4 events, events/s",
    "replay": "eventsourcing: small aggregates replayed, events/s",
}


class Submission(BaseModel):
    """A portal's application, validated as intake's body is: by the contracts' own models."""

    item: str = Field(min_length=1)
    region: str = Field(pattern=r"^\d{6}$")
    applicant: Applicant
    form: dict[str, Any]
    materials: list[MaterialRef]


app = FastAPI()


@app.post("/v1/applications", status_code=202)
async def submit(submission: Submission) -> dict[str, str]:
    return {"case_id": str(uuid.uuid4()), "item": submission.item}


class Counter(Aggregate):
    @event("Started")
    def __init__(self, name: str):
        self.name, self.total = name, 0

    @event("Added")
    def add(self, amount: int) -> None:
        self.total += amount


def validated_posts(seconds: float, concurrency: int = 16) -> float:
    """Requests a second that `app` answers in a uvicorn process of its own, loaded as intake is:
    by the load generator's portals (`Portal.flat_out`), whose client takes about a tenth of the
    server's CPU a request. The targets do not say what loaded their server, and the client
    moves the rate: loaded by Apache's `ab`, the same server, its core as busy, answered about
    two thirds as many. So this part's ratio is the least certain of the four."""
    port = free_port()
    options = [
        "--port",
        str(port),
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", f"{__name__}:app", *options])
    try:
        return asyncio.run(_answered_per_s(f"http://127.0.0.1:{port}", seconds, concurrency))
    finally:
        server.terminate()
        server.wait(timeout=10)


async def _answered_per_s(url: str, seconds: float, concurrency: int) -> float:
    portal = Portal(url, concurrency)
    try:
        try:  # a second's warm-up, which also waits out the server's start
            async with asyncio.timeout(30):
                await portal.flat_out(1.0)
        except TimeoutError:
            raise RuntimeError(f"the parts' server at {url} did not answer within 30 s") from None
        measured = await portal.flat_out(seconds)
    finally:
        await portal.close()
    if measured.refused or measured.errors:
        raise RuntimeError(f"the parts' server refused {measured.refused}, {measured.errors} connections lost")
    return measured.per_s


def stored(env: dict[str, str], aggregates: int) -> dict[str, float]:
    """The library's parts on a fresh store (`env`): each of `aggregates` loaded, added to and
    saved, a transaction a save; as many created with 4 events, a save each; and those replayed."""
    application = Application(env=env)
    counters = [Counter(uuid.uuid4().hex) for _ in range(aggregates)]
    application.save(*counters)
    started = time.perf_counter()
    for counter in counters:
        loaded = application.repository.get(counter.id)
        loaded.add(1)
        application.save(loaded)
    load_add_save = aggregates / (time.perf_counter() - started)
    started, created = time.perf_counter(), []
    for n in range(aggregates):
        counter = Counter(str(n))
        for amount in (1, 2, 3):
            counter.add(amount)
        application.save(counter)
        created.append(counter.id)
    new_aggregate = 4 * aggregates / (time.perf_counter() - started)
    started = time.perf_counter()
    for counter_id in created:
        application.repository.get(counter_id)
    replay = 4 * aggregates / (time.perf_counter() - started)
    application.close()
    return {"load_add_save": load_add_save, "new_aggregate": new_aggregate, "replay": replay}


def measure(store: str, env: dict[str, str], *, post_s: float = 5.0, aggregates: int = 2_000) -> dict[str, Any]:
    """The parts on `store` (its fresh database's eventsourcing variables: `env`), each against
    the targets' figure; `against_reference` is their ratios' median."""
    idle_gauge = gauge(1.0)
    rates = {"validated_post": validated_posts(post_s), **stored(env, aggregates)}
    ratios = {name: rate / REFERENCE[store][name] for name, rate in rates.items()}
    return {
        "idle_gauge": idle_gauge,
        "parts": {
            name: {
                "what": WHAT[name],
                "measured": round(rate, 1),
                "reference": REFERENCE[store][name],
                "ratio": round(ratios[name], 2),
            }
            for name, rate in rates.items()
        },
        "against_reference": round(statistics.median(ratios.values()), 2),
    }
