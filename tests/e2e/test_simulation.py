"""`onestep-simulate` against the running system: every simulated applicant's case reaches
an answer, and the ledger's statistics count exactly what the applicants saw."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Iterator

import pytest

from onestep_local.simulation.run import Plan, simulate
from onestep_local.stack import PORTAL_KEY, System

DEPARTMENTS = ("market-regulation", "fire-rescue", "urban-management", "tobacco-monopoly")
REGIONS = ["431202", "431203", "431221"]  # districts of one city no other test files a case in


@pytest.fixture
def shop_system(kafka, tmp_path, webhook) -> Iterator[System]:
    """The departments of the restaurant and the convenience store."""
    running = System(
        kafka, tmp_path / "system", webhook_url=webhook.url, run_id=uuid.uuid4().hex[:8], departments=DEPARTMENTS
    )
    try:
        yield running.start()
    finally:
        running.stop()


def test_simulated_applicants_get_answers_and_the_statistics_count_them(shop_system):
    plan = Plan(
        intake_url=shop_system["intake"].url,
        ledger_url=shop_system["ledger"].url,
        key=PORTAL_KEY,
        cases=40,
        concurrency=8,
        items=["open-restaurant", "open-convenience-store"],
        regions=REGIONS,
        seed=20261128,
        timeout_s=90,
    )
    report = asyncio.run(simulate(plan))
    summary = report.summary()
    seen = Counter(outcome.status for outcome in report.outcomes)
    assert not [status for status in seen if status.startswith("unfinished") or status == "refused by intake"], summary
    assert summary["supplement_rounds"] > 0 and summary["promised_materials"] > 0, summary  # the seed takes both paths

    stats = report.stats
    assert stats["filters"]["region"] == "4312"
    assert stats["cases"]["total"] == plan.cases
    for status in ("approved", "rejected", "withdrawn"):
        assert stats["cases"]["by_state"].get(status, 0) == seen[status], (status, stats, summary)
    assert stats["procedures"]["per_case"] > 1  # the answers to notices and promises count as procedures
    assert 0 < stats["documents"]["cut"] < 1
    decided = {department["department"]: department["decided"] for department in stats["departments"]}
    assert set(decided) <= set(DEPARTMENTS) and decided["market-regulation"] >= seen["approved"]
