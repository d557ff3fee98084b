"""A department's own adapter, shipped in a package of its own (examples/checklist-adapter) and
registered by entry point, is found by name and runs a gateway on the real broker and store."""

from __future__ import annotations

import uuid
from importlib.metadata import entry_points
from pathlib import Path

from onestep_contracts import MaterialRef, topics
from onestep_gateway.adapters.loading import GROUP, load_adapter

from ..kafka_probe import publish
from ..scenarios import RESTAURANT_MATERIALS, material_refs, submitted_envelope
from .ledger_client import wait_for
from .test_gateway import decisions_for, running_gateway

CHECKLIST_DEPARTMENTS = Path(__file__).resolve().parents[2] / "examples/checklist-adapter/departments"


def test_the_checklist_adapter_is_registered_by_its_own_package():
    (entry,) = [entry for entry in entry_points(group=GROUP) if entry.name == "checklist"]
    assert entry.dist.name == "onestep-checklist-adapter"  # not part of onestep's gateway
    adapter = load_adapter("checklist", CHECKLIST_DEPARTMENTS / "tobacco-monopoly.yaml")
    assert type(adapter).__module__ == "onestep_checklist_adapter"


def test_a_gateway_runs_the_department_s_own_adapter(kafka, store_env):
    group = f"gateway-{uuid.uuid4().hex[:6]}"
    incomplete, complete = uuid.uuid4(), uuid.uuid4()
    given = [MaterialRef(**material) for material in material_refs(RESTAURANT_MATERIALS[:3])]
    with_licence = [*given, MaterialRef(code="business-licence", licence="GS4301020001")]
    publish(
        kafka.bootstrap_servers,
        topics.APPLICATIONS,
        [
            submitted_envelope(incomplete, ["tobacco-monopoly"]),
            submitted_envelope(complete, ["tobacco-monopoly"], materials=with_licence),
        ],
    )
    with running_gateway(
        kafka,
        store_env,
        group,
        "tobacco-monopoly",
        adapter_name="checklist",
        departments_dir=CHECKLIST_DEPARTMENTS,
    ) as gateway:
        decided = wait_for(lambda: (d := decisions_for(kafka, {str(incomplete), str(complete)})) and len(d) == 2 and d)
        by_case = {uuid.UUID(d.subject): d.event for d in decided}
        assert (by_case[incomplete].outcome, by_case[incomplete].missing) == (
            "supplement_required",
            ["business-licence"],
        )
        assert by_case[complete].outcome == "approved"
        assert [licence.number[:8] for licence in by_case[complete].licences] == ["YC430102"]
        assert {d.decided_by for d in by_case.values()} == {"checklist"}
        assert gateway.get("/readyz").json()["checks"]["adapter"]["detail"].startswith("adapter checklist;")
