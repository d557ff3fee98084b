"""After a fault, reads what the system recorded (the ledger, the topics, notify's delivery
records, the portal's webhook) and checks DESIGN.md's promises:

- every accepted application has exactly one case (no 202 lost, no second case from a retry);
- every case is in the state its departments' decisions imply;
- no case timeline holds a fact twice (an event applied twice, or a repeat refused);
- notify recorded each event once per channel, and delivered it;
- every poison message is in the dead-letter topic.

It returns the counts (printed by the tests) and the problems found.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx

from onestep_contracts import ApplicationSubmitted, DepartmentDecided, task_id_for, topics
from onestep_local.stack import PORTAL_KEY, System

from ..e2e.waiting import eventually
from ..kafka_probe import read_all

FINAL = {"approved", "rejected"}
FACTS = ("Opened", "ApplicationArrived", "DepartmentDecided", "TaskAccepted", "Approved", "Rejected", "TaskOpened")


@dataclass
class Findings:
    counts: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def report(self, title: str) -> str:
        lines = [f"{title}:"] + [f"  {name:<44} {value}" for name, value in self.counts.items()]
        lines += [f"  PROBLEM {problem}" for problem in self.problems[:20]]
        return "\n".join(lines)


def expected_status(route: list[str], outcomes: dict[str, set[str]]) -> str:
    if any("rejected" in outcomes.get(department, ()) for department in route):
        return "rejected"
    if all("approved" in outcomes.get(department, ()) for department in route):
        return "approved"
    return "undecided"


def check(
    system: System,
    kafka,
    accepted: dict[str, str],
    *,
    marker: str,
    webhook=None,
    poison_ids: tuple[str, ...] = (),
) -> Findings:
    """`accepted`: Idempotency-Key → case id as intake answered 202; `marker`: a string in the
    business name of every application of this run (the topics hold other tests' cases)."""
    found = Findings()
    case_ids = set(accepted.values())
    found.counts["applications accepted (202)"] = len(accepted)
    found.counts["distinct cases answered"] = len(case_ids)

    routes: dict[str, list[str]] = {}
    for _, envelope in read_all(kafka.bootstrap_servers, topics.APPLICATIONS):
        event = envelope and envelope.event
        if isinstance(event, ApplicationSubmitted) and marker in str(event.form.get("business_name", "")):
            routes[str(event.case_id)] = [step.department for step in event.route]
    found.counts["cases on the applications topic"] = len(routes)
    _problem(found, "202 answered, never published", sorted(case_ids - set(routes)))
    _problem(found, "published without a 202 for it (a second case)", sorted(set(routes) - case_ids))

    outcomes: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    decision_ids: Counter[str] = Counter()
    for _, envelope in read_all(kafka.bootstrap_servers, topics.DECISIONS):
        event = envelope and envelope.event
        if isinstance(event, DepartmentDecided) and str(event.case_id) in case_ids:
            outcomes[str(event.case_id)][event.department].add(event.outcome)
            decision_ids[envelope.id] += 1
    found.counts["decisions published"] = len(decision_ids)
    found.counts["decisions published again (same id)"] = sum(n - 1 for n in decision_ids.values())

    with (
        httpx.Client(headers={"Authorization": f"Bearer {PORTAL_KEY}"}, timeout=30) as client,
        ThreadPoolExecutor(8) as pool,
    ):
        views = list(pool.map(lambda case_id: _read_case(client, system, case_id), sorted(case_ids)))

    states: Counter[str] = Counter()
    duplicated, repeats, ended, undelivered, delivered = [], [], 0, 0, 0
    for case_id, case, timeline, deliveries in views:
        if case is None:
            found.problems.append(f"no case in the ledger for {case_id}")
            continue
        states[case["status"]] += 1
        expected = expected_status(routes.get(case_id, []), outcomes[case_id])
        if case["status"] != expected:
            found.problems.append(f"{case_id} is {case['status']}, its decisions say {expected}")
        facts = Counter(
            (entry["event"], entry.get("department"), entry.get("task_id"), entry.get("gateway"))
            for entry in timeline
            if entry["event"] in FACTS
        )
        if any(n > 1 for n in facts.values()) or sum(facts[f] for f in facts if f[0] in FACTS[:2]) != 1:
            duplicated.append(case_id)
        refusals = [entry.get("refused", "") for entry in timeline if entry["event"].endswith("Refused")]
        ended += sum(reason.startswith("the case is already") for reason in refusals)
        repeats += [f"{case_id}: {reason}" for reason in refusals if not reason.startswith("the case is already")]
        delivered += sum(d["state"] == "delivered" for d in deliveries)
        undelivered += sum(d["state"] != "delivered" for d in deliveries)
    for status, number in sorted(states.items()):
        found.counts[f"cases {status}"] = number
    found.counts["cases with a fact twice in their timeline"] = len(duplicated)
    found.counts["decisions refused: the case had ended"] = ended
    found.counts["other refusals on timelines (a repeat?)"] = len(repeats)
    found.problems += repeats[:5]
    _problem(found, "a fact twice in the timeline", duplicated)
    found.counts["notifications delivered (event, channel)"] = delivered
    found.counts["notifications not delivered"] = undelivered
    if undelivered:
        found.problems.append(f"{undelivered} notifications not delivered")

    if webhook is not None:
        posts = Counter(
            request["headers"].get("Onestep-Event-Id")
            for request in webhook.received
            if json.loads(request["body"]).get("subject") in case_ids
        )
        found.counts["webhook POSTs"] = sum(posts.values())
        found.counts["webhook POSTs of an event already delivered"] = sum(n - 1 for n in posts.values())

    if poison_ids:
        parked = {
            headers.get("ce_id", b"").decode() for headers, _ in read_all(kafka.bootstrap_servers, topics.DEAD_LETTERS)
        }
        found.counts["poison messages injected"] = len(poison_ids)
        found.counts["poison messages dead-lettered"] = len(set(poison_ids) & parked)
        _problem(found, "poison message not dead-lettered", sorted(set(poison_ids) - parked))
    return found


def _read_case(client: httpx.Client, system: System, case_id: str) -> tuple[str, Any, list, list]:
    ledger, notify = system["ledger"].url, system["notify"].url
    case = client.get(f"{ledger}/v1/cases/{case_id}")
    if case.status_code != 200:
        return case_id, None, [], []
    timeline = client.get(f"{ledger}/v1/cases/{case_id}/timeline").json()["events"]
    deliveries = client.get(f"{notify}/v1/notifications", params={"case_id": case_id}).json()["notifications"]
    return case_id, case.json(), timeline, deliveries


def _problem(found: Findings, what: str, case_ids: list[str]) -> None:
    if case_ids:
        found.problems.append(f"{len(case_ids)} × {what}: {case_ids[:5]}")


def all_final(system: System, case_ids: list[str]) -> bool:
    def status(client: httpx.Client, case_id: str) -> str | None:
        answer = client.get(f"{system['ledger'].url}/v1/cases/{case_id}")
        return answer.json()["status"] if answer.status_code == 200 else None

    with (
        httpx.Client(headers={"Authorization": f"Bearer {PORTAL_KEY}"}, timeout=30) as client,
        ThreadPoolExecutor(8) as pool,
    ):
        return all(state in FINAL for state in pool.map(lambda c: status(client, c), case_ids))


def once_settled(system: System, kafka, stream, *, marker: str, webhook, poison_ids: tuple[str, ...] = ()) -> Findings:
    """Waits until every case of the stream is final and the checker finds no problem (notify
    may still be delivering); the findings, with what the portals saw."""
    case_ids = sorted(set(stream.accepted.values()))
    eventually(lambda: all_final(system, case_ids), timeout_s=600, interval_s=5)
    findings = eventually(
        lambda: (
            (f := check(system, kafka, stream.accepted, marker=marker, webhook=webhook, poison_ids=poison_ids))
            and not f.problems
            and f
        ),
        timeout_s=180,
        interval_s=10,
    )
    findings.counts["503 answers retried by portals"] = stream.refused_503
    findings.counts["dropped connections retried by portals"] = stream.connection_errors
    return findings


def check_own_system(system: System, found: Findings, case_ids: list[str], department: str) -> None:
    """Adds to `found` what the department's own system (`system["department-system"]`) holds
    of the cases' tasks: a task of an approved case was decided there, once (one task per key
    however often delivered); a task of a rejected case was decided, cancelled, or cancelled
    before it was handed over; none is left under review."""
    own = system["department-system"].url
    with httpx.Client(headers={"Authorization": f"Bearer {PORTAL_KEY}"}, timeout=30) as client:
        cases = [client.get(f"{system['ledger'].url}/v1/cases/{case_id}").json() for case_id in case_ids]
        tasks = [
            (case["status"], client.get(f"{own}/tasks/{task_id_for(case['case_id'], department)}"))
            for case in cases
            if any(part["department"] == department for part in case["departments"])
        ]
        summary = client.get(f"{own}/control").json()
    held = Counter(
        (status, answer.json()["status"] if answer.status_code == 200 else "never handed over")
        for status, answer in tasks
    )
    found.counts[f"{department} tasks"] = len(tasks)
    found.counts["decided in the department's system"] = sum(n for (_, there), n in held.items() if there == "decided")
    found.counts["cancelled there (the case was rejected)"] = held[("rejected", "cancelled")]
    found.counts["cancelled before the hand-over (rejected)"] = held[("rejected", "never handed over")]
    found.counts["deliveries to it (a repeat keeps its key)"] = summary["deliveries"]
    found.counts["deliveries refused while down (503)"] = summary["refused_while_down"]
    found.counts["callbacks it gave up on (found by polling)"] = summary["callbacks_lost"]
    for (status, there), number in sorted(held.items()):
        if there == "reviewing" or (status == "approved" and there != "decided"):
            found.problems.append(f"{number} tasks of {status} cases are {there} in the department's system")
