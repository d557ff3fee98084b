"""Where a case's time went, hop by hop, by the Kafka timestamps of its records: when intake
published the application, when the ledger published the case's opening, when the last
department's decision was published, and when the ledger published the final state.

Read from the topics after the latency phase, so measuring takes nothing from the system while
it runs. A hop that grows names the part to look at (a consumer's wait, a relay, a process
short of CPU); see docs/performance-history.md, "Why two ledgers missed the p99"."""

from __future__ import annotations

from typing import Any

from onestep_contracts import ApplicationSubmitted, CaseOpened, DepartmentDecided, topics
from onestep_runtime.kafka import read_to_end

from .finals import Finals
from .load import Submitted
from .percentiles import summary_ms

SUBMITTED, OPENED, DECIDED = (model.TYPE.encode() for model in (ApplicationSubmitted, CaseOpened, DepartmentDecided))


def _published(records: list[Any], kind: bytes) -> dict[str, list[float]]:
    """Case id → when each record of the kind was published (s)."""
    at: dict[str, list[float]] = {}
    for record in records:
        if dict(record.headers).get("ce_type") == kind:
            at.setdefault(record.key.decode(), []).append(record.timestamp / 1000)
    return at


async def hops_ms(bootstrap_servers: str, submitted: Submitted, finals: Finals) -> dict[str, dict[str, float]]:
    """Each hop's spans summarised, in ms, over the submitted cases that reached a final state."""
    submitted_at = _published(await read_to_end(bootstrap_servers, topics.APPLICATIONS), SUBMITTED)
    opened_at = _published(await read_to_end(bootstrap_servers, topics.CASES), OPENED)
    decided_at = _published(await read_to_end(bootstrap_servers, topics.DECISIONS), DECIDED)
    spans: dict[str, list[float]] = {
        "intake: due → application published": [],
        "ledger: application → case opened": [],
        "departments: application → last decision": [],
        "ledger: last decision → final": [],
    }
    for case_id, due in submitted.at.items():
        if not all(case_id in at for at in (finals.at, submitted_at, opened_at, decided_at)):
            continue
        published, last_decided = min(submitted_at[case_id]), max(decided_at[case_id])
        for hop, span in zip(
            spans,
            (
                published - due,
                min(opened_at[case_id]) - published,
                last_decided - published,
                finals.at[case_id] - last_decided,
            ),
            strict=True,
        ):
            spans[hop].append(1000 * span)
    return {hop: summary_ms(values) for hop, values in spans.items()}
