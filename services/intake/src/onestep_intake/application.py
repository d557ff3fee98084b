"""intake's service layer: turns a portal's request into an accepted, published application."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ValidationError

from onestep_contracts import (
    ApplicationSubmitted,
    RouteStep,
    SupplementProvided,
    WithdrawalRequested,
    deterministic_id,
    envelope,
)
from onestep_contracts.calendar import WorkingCalendar
from onestep_contracts.catalogue import Catalogue, Item

from .adapters.blob_store import LocalBlobStore
from .adapters.kafka_publisher import ApplicationPublisher
from .commands import SubmitApplication, SupplyMaterials, Withdraw
from .domain.checks import form_problems, material_problems, promise_problems
from .domain.regions import region_problem
from .domain.routing import materials_needed, route_application

SOURCE = "onestep/intake"


class ApplicationInvalid(Exception):
    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__(f"{len(problems)} problems")
        self.problems = problems


@dataclass(frozen=True)
class Accepted:
    case_id: UUID
    item: str
    item_version: int
    route: list[RouteStep]
    due_at: datetime


def request_fingerprint(body: dict[str, Any]) -> str:
    """sha256 of the request body in canonical JSON (sorted keys), so key order does not matter."""
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def case_id_for(portal: str, idempotency_key: str) -> UUID:
    """The same portal and Idempotency-Key always name the same case, on any intake instance."""
    return UUID(deterministic_id("case", portal, idempotency_key))


SHA256 = re.compile(r"[0-9a-f]{64}")


def _file_hash(material: Any) -> str | None:
    sha256 = material.get("sha256") if isinstance(material, dict) else None
    return sha256 if isinstance(sha256, str) and SHA256.fullmatch(sha256) else None


def _material_digests(body: Any) -> set[str]:
    """The well-formed sha256 references among the body's materials."""
    materials = body.get("materials") if isinstance(body, dict) else None
    if not isinstance(materials, list):
        return set()
    return {sha256 for material in materials if (sha256 := _file_hash(material))}


def shape_problems(model: type[BaseModel], body: Any) -> tuple[Any, list[tuple[str, str]]]:
    if not isinstance(body, dict):
        return None, [("#", "must be a JSON object")]
    try:
        return model.model_validate(body), []
    except ValidationError as exc:
        return None, [("#/" + "/".join(str(part) for part in error["loc"]), error["msg"]) for error in exc.errors()]


class IntakeService:
    def __init__(
        self, catalogue: Catalogue, blobs: LocalBlobStore, publisher: ApplicationPublisher, calendar: WorkingCalendar
    ):
        self.catalogue = catalogue
        self.calendar = calendar
        self._blobs = blobs
        self._publisher = publisher

    async def submit(self, body: Any, *, portal: str, idempotency_key: str) -> Accepted:
        """Checks the body; publishes ApplicationSubmitted and returns once Kafka acknowledged it."""
        now = datetime.now(UTC)
        # Only files not yet known to be stored cost disk work, off the event loop; the checks
        # themselves are CPU work, which a thread would not speed up (it would only add a hop).
        digests = _material_digests(body)
        stored = self._blobs.known(digests)
        if unknown := digests - stored:
            stored |= await asyncio.to_thread(self._blobs.stored, unknown)
        request, item, route, problems = self._check(body, now, stored)
        if problems:
            raise ApplicationInvalid(problems)
        case_id = case_id_for(portal, idempotency_key)
        event = ApplicationSubmitted(
            case_id=case_id,
            item=item.code,
            item_version=item.version,
            portal=portal,
            region=request.region,
            accepted_region=request.accepted_region or request.region,
            applicant=request.applicant,
            form=request.form,
            materials=request.materials,
            route=route,
            promises=request.promises,
            promised_days=item.promised_days,
            due_at=self.calendar.add_working_days(now, item.promised_days),
            submitted_at=now,
            baseline=item.baseline,
            fingerprint=request_fingerprint(body),
        )
        # The same request under the same key is the same event; a different request under
        # that key is another event, which the ledger refuses on the case.
        event_id = deterministic_id(case_id, "submitted", event.fingerprint)
        await self._publisher.publish(envelope(event, source=SOURCE, id=event_id))
        return Accepted(case_id, item.code, item.version, route, event.due_at)

    async def supply(self, case_id: UUID, body: Any, *, portal: str) -> None:
        """Publishes the applicant's supplement; the ledger matches it to what the case awaits."""
        request, problems = shape_problems(SupplyMaterials, body)
        # Files are looked for even when the body's shape is wrong, so that every problem is listed.
        given = body.get("materials") if isinstance(body, dict) else None
        if isinstance(given, list):
            problems += await asyncio.to_thread(self._stored_problems, given)
        if request is not None and not request.materials and not request.answers:
            problems.append(("#", "give at least one material or answer"))
        if problems:
            raise ApplicationInvalid(problems)
        event = SupplementProvided(
            case_id=case_id,
            portal=portal,
            materials=request.materials,
            answers=request.answers,
            supplied_at=datetime.now(UTC),
        )
        # A retried identical supplement is the same event; the ledger applies it once.
        event_id = deterministic_id(case_id, "supplemented", request_fingerprint(body))
        await self._publisher.publish(envelope(event, source=SOURCE, id=event_id))

    async def withdraw(self, case_id: UUID, body: Any, *, portal: str) -> None:
        request, problems = shape_problems(Withdraw, body if body is not None else {})
        if problems:
            raise ApplicationInvalid(problems)
        event = WithdrawalRequested(
            case_id=case_id, portal=portal, reason=request.reason, requested_at=datetime.now(UTC)
        )
        await self._publisher.publish(envelope(event, source=SOURCE, id=deterministic_id(case_id, "withdrawal")))

    def _stored_problems(self, materials: list[Any]) -> list[tuple[str, str]]:
        """The well-formed file references among `materials` that name no uploaded file."""
        hashes = [_file_hash(material) for material in materials]
        stored = self._blobs.stored({sha256 for sha256 in hashes if sha256})
        return [
            (f"#/materials/{index}/sha256", "no uploaded file has this sha256; POST it to /v1/materials first")
            for index, sha256 in enumerate(hashes)
            if sha256 and sha256 not in stored
        ]

    def _check(
        self, body: Any, now: datetime, stored: set[str]
    ) -> tuple[SubmitApplication | None, Item | None, list[RouteStep], list[tuple[str, str]]]:
        """Every problem of the body at once: its shape, its item, its region, form and materials."""
        request, problems = shape_problems(SubmitApplication, body)
        if not isinstance(body, dict):
            return None, None, [], problems
        for field in ("region", "accepted_region"):
            if body.get(field) is not None and (why := region_problem(body[field])):
                problems.append((f"#/{field}", why))
        item = self.catalogue.item(body["item"]) if isinstance(body.get("item"), str) else None
        if item is None:
            if "item" in body:
                problems.append(("#/item", f"{body['item']!r} is not an item of the catalogue; see GET /v1/items"))
            return request, None, [], problems
        form = body.get("form")
        problems += form_problems(item, form)
        route = route_application(item, form, now, self.calendar) if isinstance(form, dict) else []
        materials = body.get("materials")
        if isinstance(materials, list) and all(isinstance(m, dict) for m in materials):
            promises = body.get("promises")
            problems += promise_problems(item, promises, materials, now.astimezone(self.calendar.zone).date())
            promised = {p.get("code") for p in promises if isinstance(p, dict)} if isinstance(promises, list) else set()
            problems += material_problems(item, materials, materials_needed(item, route), stored, promised)
        return request, item, route, problems
