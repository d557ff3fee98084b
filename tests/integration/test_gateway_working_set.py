"""The gateway keeps the tasks it last wrote in memory (its working set). Two instances of one
department's gateway on one store: a task changed by one is never acted on from the other's
stale copy; the stale write fails on the version and the next read comes from the store."""

from __future__ import annotations

import uuid

import pytest
from eventsourcing.persistence import IntegrityError
from prometheus_client import REGISTRY

from onestep_contracts import task_id_for
from onestep_gateway.application import DepartmentTasks

from ..scenarios import submitted_envelope

DEPARTMENT = "market-regulation"


def test_a_task_decided_by_another_instance_is_not_handed_over_from_a_stale_copy(store_env):
    case_id = uuid.uuid4()
    task_id = uuid.UUID(task_id_for(case_id, DEPARTMENT))
    receiving = DepartmentTasks(env=store_env, department=DEPARTMENT)
    deciding = DepartmentTasks(env=store_env, department=DEPARTMENT)
    read_back_before = read_back()

    assert receiving.apply_batch("applications", 0, [submitted_envelope(case_id, [DEPARTMENT])], 0)
    task = deciding.take(task_id)  # from the store: this instance never saw it
    task.dispatch("desk")
    task.decide({"outcome": "approved", "licences": [], "missing": [], "reason": "", "decided_by": "officer"})
    deciding.save(task)

    stale = receiving.take(task_id)  # as `receiving` wrote it: received, not yet dispatched
    assert (stale.status, stale.version) == ("received", 1)
    stale.dispatch("rules")
    with pytest.raises(IntegrityError):
        receiving.save(stale)
    fresh = receiving.take(task_id)  # the stale copy is gone: read from the store
    assert (fresh.status, fresh.version) == ("decided", 3)
    assert read_back() - read_back_before == 2  # counted for the operators: `deciding`'s first and the fresh one


def test_a_saved_task_is_kept_as_saved_and_taken_out_while_it_is_changed(store_env):
    case_id = uuid.uuid4()
    task_id = uuid.UUID(task_id_for(case_id, DEPARTMENT))
    tasks = DepartmentTasks(env=store_env, department=DEPARTMENT)
    assert tasks.apply_batch("applications", 0, [submitted_envelope(case_id, [DEPARTMENT])], 0)

    task = tasks.take(task_id)
    assert tasks.take(task_id) is not task  # taken out: a second writer gets its own copy
    task.dispatch("rules")
    tasks.save(task)
    assert tasks.take(task_id) is task  # back, as saved


def read_back() -> float:
    return REGISTRY.get_sample_value("onestep_aggregates_read_back_total", {"application": "DepartmentTasks"}) or 0.0
