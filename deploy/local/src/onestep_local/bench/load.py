"""Applications submitted through intake's HTTP API, as portals would: at a set rate (an open
loop: a request starts on schedule whether or not earlier ones have been answered, up to a
cap on requests in flight), or as fast as a number of portals can (a closed loop)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
import uuid
from dataclasses import dataclass, field

import httpx

from .. import samples
from ..stack import PORTAL_KEY
from .http1 import Connection, ConnectionLost

JSON = {"Content-Type": "application/json"}
MATERIALS = ["applicant-identity", "premises-proof", "food-safety-plan", "floor-plan", "sign-design"]


def material(code: str) -> bytes:
    return f"%PDF-1.7 benchmark {code}".encode()


def restaurant() -> bytes:
    """A restaurant that three departments review and approve by their rules: market
    regulation, fire rescue (over 50 seats) and urban management (an outdoor sign)."""
    materials = [{"code": code, "sha256": hashlib.sha256(material(code)).hexdigest()} for code in MATERIALS]
    body = samples.restaurant(
        materials, seats=80, floor_area_m2=120.0, has_outdoor_sign=True, food_categories=["hot_meals", "drinks"]
    )
    return json.dumps(body, ensure_ascii=False).encode()


@dataclass
class Submitted:
    """What intake answered: case id → submit time (wall clock, seconds), and the refusals."""

    at: dict[str, float] = field(default_factory=dict)
    refused: dict[int, int] = field(default_factory=dict)  # status → count (a 503 is retried)
    errors: int = 0
    behind: int = 0  # requests the open loop started late: the cap on requests in flight was reached
    started: float = 0.0
    ended: float = 0.0

    @property
    def per_s(self) -> float:
        return len(self.at) / max(self.ended - self.started, 1e-9)


class Portal:
    """`concurrency` portals, each with a connection of its own, by the load generator's own
    lean client (`http1`: httpx cost more CPU a request than intake spends answering it)."""

    def __init__(self, intake_url: str, concurrency: int):
        self._intake_url = intake_url
        self._auth = {"Authorization": f"Bearer {PORTAL_KEY}"}
        self._clients: asyncio.Queue[Connection] = asyncio.Queue()
        for _ in range(concurrency):
            self._clients.put_nowait(Connection(intake_url, self._auth))
        self._body = restaurant()
        self.concurrency = concurrency

    async def close(self) -> None:
        while not self._clients.empty():
            await self._clients.get_nowait().close()

    async def upload_materials(self) -> None:
        async with httpx.AsyncClient(base_url=self._intake_url, headers=self._auth, timeout=60) as client:
            for code in MATERIALS:
                answer = await client.post("/v1/materials", files={"file": (f"{code}.pdf", material(code))})
                answer.raise_for_status()

    async def _submit(self, submitted: Submitted) -> None:
        await self._submit_on(await self._clients.get(), submitted)

    async def _submit_on(self, client: Connection, submitted: Submitted, due: float | None = None) -> None:
        """Submits on a portal's client taken from the queue, and gives it back."""
        try:
            await self._submit_with(client, submitted, due)
        finally:
            self._clients.put_nowait(client)

    async def _submit_with(self, client: Connection, submitted: Submitted, due: float | None) -> None:
        """`due`: when the open loop meant to send it; a late start counts in its latency
        (otherwise a saturated system would hide its queue in the load generator)."""
        key = str(uuid.uuid4())
        started = due or time.time()
        while True:
            try:
                answer = await client.post("/v1/applications", self._body, {"Idempotency-Key": key, **JSON})
            except ConnectionLost:
                submitted.errors += 1
                await asyncio.sleep(0.2)
                continue
            if answer.status == 202:
                submitted.at[json.loads(answer.body)["case_id"]] = started
                return
            submitted.refused[answer.status] = submitted.refused.get(answer.status, 0) + 1
            if answer.status != 503:
                return
            await asyncio.sleep(float(answer.headers.get("retry-after", "1")))

    async def at_rate(self, rate: float, duration_s: float) -> Submitted:
        """Starts `rate` submissions a second for `duration_s`, at most `concurrency` in flight."""
        submitted, tasks = Submitted(), []
        start, submitted.started = time.monotonic(), time.time()

        for n in range(int(rate * duration_s)):
            delay = start + n / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            if self._clients.empty():
                submitted.behind += 1
            client = await self._clients.get()
            tasks.append(asyncio.create_task(self._submit_on(client, submitted, submitted.started + n / rate)))
        await asyncio.gather(*tasks)
        submitted.ended = time.time()
        return submitted

    async def flat_out(self, duration_s: float) -> Submitted:
        """`concurrency` portals each submitting again as soon as they are answered."""
        submitted = Submitted()
        stop = time.monotonic() + duration_s
        submitted.started = time.time()

        async def portal() -> None:
            while time.monotonic() < stop:
                await self._submit(submitted)

        await asyncio.gather(*(portal() for _ in range(self.concurrency)))
        submitted.ended = time.time()
        return submitted
