"""One simulated applicant: files an application as a portal would, follows the case, answers
a supplement notice, supplies what was promised, and now and then withdraws.

Everything goes through the public API (intake and the case ledger); departments decide
through their gateways. An answer the applicant never sends (a promise kept unmet) is a
choice of the simulation, counted as such.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx
from tenacity import AsyncRetrying, retry_if_exception, stop_after_delay, wait_exponential_jitter

from .forms import answer, answer_form

FINAL = {"approved", "rejected", "withdrawn"}


@dataclass(frozen=True)
class Behaviour:
    """How applicants behave: the shares are per case."""

    withdraw_early: float = 0.02
    withdraw_instead_of_answering: float = 0.08
    promise: float = 0.3
    keep_promise: float = 0.9
    give_optional: float = 0.5
    e_licence: float = 0.5
    inter_region: float = 0.1
    think_s: tuple[float, float] = (0.2, 1.5)


@dataclass
class Outcome:
    item: str
    region: str
    case_id: str | None = None
    status: str = "not filed"
    supplement_rounds: int = 0
    promised: int = 0
    seconds: float = 0.0
    problems: list[dict[str, Any]] = field(default_factory=list)


def material_file(code: str) -> bytes:
    return f"simulated {code}\n".encode()


def material_ref(code: str) -> dict[str, str]:
    return {"code": code, "sha256": hashlib.sha256(material_file(code)).hexdigest()}


def _retryable(exc: BaseException) -> bool:
    if isinstance(exc, httpx.TransportError):
        return True
    return isinstance(exc, httpx.HTTPStatusError) and exc.response.status_code in (429, 502, 503, 504)


async def call(method: Any, url: str, **kwargs: Any) -> httpx.Response:
    """Retries what a portal would retry (the peer down or overloaded) for up to a minute."""
    async for attempt in AsyncRetrying(
        retry=retry_if_exception(_retryable),
        wait=wait_exponential_jitter(multiplier=0.2, jitter=0.2, max=5),
        stop=stop_after_delay(60),
        reraise=True,
    ):
        with attempt:
            response = await method(url, **kwargs)
            if response.status_code in (429, 502, 503, 504):
                response.raise_for_status()
            return response
    raise AssertionError("unreachable")


class Applicant:
    def __init__(
        self,
        intake: httpx.AsyncClient,
        ledger: httpx.AsyncClient,
        item: dict[str, Any],
        region: str,
        rng: random.Random,
        behaviour: Behaviour,
        *,
        regions: list[str],
        timeout_s: float,
        uploaded: set[str],
    ):
        self.intake, self.ledger, self.item, self.rng, self.behaviour = intake, ledger, item, rng, behaviour
        self.outcome = Outcome(item=item["code"], region=region)
        self.regions = regions
        self.timeout_s = timeout_s
        self.uploaded = uploaded  # material codes whose file intake has, shared by the run
        self.today = date.today()

    async def run(self) -> Outcome:
        started = time.monotonic()
        body = await self._application()
        response = await call(
            self.intake.post, "/v1/applications", json=body, headers={"Idempotency-Key": str(uuid.uuid4())}
        )
        if response.status_code != 202:
            self.outcome.status, self.outcome.problems = "refused by intake", response.json().get("errors", [])
            return self.outcome
        self.outcome.case_id = case_id = response.json()["case_id"]
        self.outcome.status = "filed"
        if self.rng.random() < self.behaviour.withdraw_early:
            await call(self.intake.post, f"/v1/applications/{case_id}/withdraw", json={"reason": "changed plans"})
        await self._follow(case_id, started)
        self.outcome.seconds = time.monotonic() - started
        return self.outcome

    async def _follow(self, case_id: str, started: float) -> None:
        answered_notices: set[str] = set()
        promises_sent = False
        while time.monotonic() - started < self.timeout_s:
            response = await call(self.ledger.get, f"/v1/cases/{case_id}")
            if response.status_code == 404:  # not recorded yet
                await asyncio.sleep(0.3)
                continue
            case = response.json()
            self.outcome.status = case["status"]
            if case["status"] in FINAL:
                return
            if case["status"] == "supplement_required" and case["clock_stopped_at"] not in answered_notices:
                answered_notices.add(case["clock_stopped_at"])
                await self._think()
                if self.rng.random() < self.behaviour.withdraw_instead_of_answering:
                    await call(self.intake.post, f"/v1/applications/{case_id}/withdraw", json={"reason": "gave up"})
                else:
                    self.outcome.supplement_rounds += 1
                    await self._answer(case_id, case["supplement_notice"])
            outstanding = [p["code"] for p in case["promises"] if p["supplied_at"] is None]
            if outstanding and not promises_sent:
                promises_sent = True
                await self._think()
                if self.rng.random() < self.behaviour.keep_promise:
                    materials = [await self._upload(code) for code in outstanding]
                    await call(
                        self.intake.post, f"/v1/applications/{case_id}/supplements", json={"materials": materials}
                    )
                else:
                    self.outcome.status = "promise left unmet"
                    return
            await asyncio.sleep(0.5)
        self.outcome.status = f"unfinished ({self.outcome.status})"

    async def _application(self) -> dict[str, Any]:
        materials, promises = [], []
        for material in self.item["materials"]:
            if not material["required"] and self.rng.random() > self.behaviour.give_optional:
                continue
            if material["promisable"] and self.rng.random() < self.behaviour.promise:
                by = self.today + timedelta(days=self.rng.randint(7, 30))
                promises.append({"code": material["code"], "by": by.isoformat()})
                self.outcome.promised += 1
            elif material["licence"] and self.rng.random() < self.behaviour.e_licence:
                materials.append({"code": material["code"], "licence": f"SIM{self.rng.randrange(10**12):012d}"})
            else:
                materials.append(await self._upload(material["code"]))
        body = {
            "item": self.item["code"],
            "region": self.outcome.region,
            "applicant": {
                "name": "模拟申请人",
                "id_type": "resident_id",
                "id_number": f"{self.outcome.region}19{self.rng.randrange(10**10):010d}",
                "phone": f"139{self.rng.randrange(10**8):08d}",
            },
            "form": answer_form(self.item["form_schema"], self.rng, self.today),
            "materials": materials,
        }
        if promises:
            body["promises"] = promises
        if self.rng.random() < self.behaviour.inter_region:
            body["accepted_region"] = self.rng.choice(
                [r for r in self.regions if r != self.outcome.region] or self.regions
            )
        return body

    async def _answer(self, case_id: str, notice: list[dict[str, Any]]) -> None:
        """Answers each missing form field again and gives every other missing thing as a file
        (a department may ask for a material the item does not list)."""
        properties = self.item["form_schema"].get("properties", {})
        missing = sorted({name for request in notice for name in request["missing"]})
        answers = {name: answer(properties[name], self.rng, self.today) for name in missing if name in properties}
        materials = [await self._upload(code) for code in missing if code not in properties]
        await call(
            self.intake.post,
            f"/v1/applications/{case_id}/supplements",
            json={"materials": materials, "answers": answers},
        )

    async def _upload(self, code: str) -> dict[str, str]:
        """Every case gives the same file per material (stored once by intake)."""
        if code not in self.uploaded:
            response = await call(
                self.intake.post, "/v1/materials", files={"file": (f"{code}.pdf", material_file(code))}
            )
            response.raise_for_status()
            self.uploaded.add(code)
        return material_ref(code)

    async def _think(self) -> None:
        await asyncio.sleep(self.rng.uniform(*self.behaviour.think_s))
