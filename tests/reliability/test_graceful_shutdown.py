"""SIGTERM, as an orchestrator stops a container: each service finishes the work in hand,
records and commits its positions and exits by itself; started again, it reprocesses
nothing. Shown by the consume counters after a restart: each service consumes exactly the
records of one new case, and nothing of what it had handled before the stop."""

from __future__ import annotations

from onestep_local.stack import System

from ..e2e.waiting import eventually
from ..scenarios import new_key, restaurant_application
from .metrics import total

CONSUMERS = ("ledger", "notify", "market-regulation", "fire-rescue", "urban-management")


def file(portal, system: System, **changes) -> str:
    response = portal.post(
        f"{system['intake'].url}/v1/applications",
        json=restaurant_application(**changes),
        headers={"Idempotency-Key": new_key()},
    )
    assert response.status_code == 202, response.text
    return response.json()["case_id"]


def approved(portal, system: System, case_ids: list[str]) -> bool:
    states = [portal.get(f"{system['ledger'].url}/v1/cases/{case_id}") for case_id in case_ids]
    return all(state.status_code == 200 and state.json()["status"] == "approved" for state in states)


def test_sigterm_drains_and_a_clean_restart_reprocesses_nothing(system, portal, webhook):
    in_flight = [file(portal, system, seats=80, sign=True) for _ in range(20)]
    stopped_cleanly = {name: service.stop() for name, service in system.services.items()}  # mid-stream
    assert all(stopped_cleanly.values()), stopped_cleanly

    system.start()
    assert eventually(lambda: approved(portal, system, in_flight), timeout_s=120)
    delivered = eventually(lambda: len(webhook.received) >= 40 and len(webhook.received))  # opened + approved each
    stopped_cleanly = {name: service.stop() for name, service in system.services.items()}  # idle this time
    assert all(stopped_cleanly.values()), stopped_cleanly

    system.start()
    # One new case, market regulation only: its application (which every gateway reads), the
    # gateway's decision (its rules decide at once, so the decision is the acceptance too), and
    # two case events (opened, approved) are all any service has to consume; the gateways read
    # no case events (tasks come on a topic of their own, and this case opens none later).
    marker = file(portal, system, seats=30, sign=False)
    assert eventually(lambda: approved(portal, system, [marker]))
    eventually(lambda: len(webhook.received) >= delivered + 2)
    expected = {"ledger": 2, "notify": 2, "market-regulation": 1, "fire-rescue": 1, "urban-management": 1}
    consumed = eventually(
        lambda: (c := {name: total(system[name].url, "onestep_consumed") for name in CONSUMERS}) == expected and c,
        timeout_s=30,
    )
    assert consumed == expected
    assert len(webhook.received) == delivered + 2  # nothing delivered again
