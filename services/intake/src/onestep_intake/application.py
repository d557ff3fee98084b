"""intake's service layer: turns a portal's request into an accepted, published application."""

from __future__ import annotations

import asyncio
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from pydantic import ValidationError

from onestep_contracts import ApplicationSubmitted, RouteStep, deterministic_id, envelope
from onestep_contracts.catalogue import Catalogue, Item

from .adapters.blob_store import LocalBlobStore
from .adapters.kafka_publisher import ApplicationPublisher
from .commands import SubmitApplication
from .domain.checks import form_problems, material_problems
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


class IntakeService:
    def __init__(self, catalogue: Catalogue, blobs: LocalBlobStore, publisher: ApplicationPublisher):
        self.catalogue = catalogue
        self._blobs = blobs
        self._publisher = publisher

    async def submit(self, body: Any, *, portal: str, idempotency_key: str) -> Accepted:
        """Checks the body; publishes ApplicationSubmitted and returns once Kafka acknowledged it."""
        now = datetime.now(UTC)
        # Schema, CEL and material-store checks are CPU and file work: off the event loop.
        request, item, route, problems = await asyncio.to_thread(self._check, body, now)
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
            promised_days=item.promised_days,
            due_at=now + timedelta(days=item.promised_days),
            submitted_at=now,
            fingerprint=request_fingerprint(body),
        )
        # The same request under the same key is the same event; a different request under
        # that key is another event, which the ledger refuses on the case.
        event_id = deterministic_id(case_id, "submitted", event.fingerprint)
        await self._publisher.publish(envelope(event, source=SOURCE, id=event_id))
        return Accepted(case_id, item.code, item.version, route, event.due_at)

    def _check(
        self, body: Any, now: datetime
    ) -> tuple[SubmitApplication | None, Item | None, list[RouteStep], list[tuple[str, str]]]:
        """Every problem of the body at once: its shape, its item, its region, form and materials."""
        if not isinstance(body, dict):
            return None, None, [], [("#", "must be a JSON object")]
        problems: list[tuple[str, str]] = []
        request = None
        try:
            request = SubmitApplication.model_validate(body)
        except ValidationError as exc:
            problems += [("#/" + "/".join(str(part) for part in error["loc"]), error["msg"]) for error in exc.errors()]
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
        route = route_application(item, form, now) if isinstance(form, dict) else []
        materials = body.get("materials")
        if isinstance(materials, list) and all(isinstance(m, dict) for m in materials):
            stored = self._blobs.stored({m.get("sha256") for m in materials})
            problems += material_problems(item, materials, materials_needed(item, route), stored)
        return request, item, route, problems
