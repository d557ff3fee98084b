"""`onestep-simulate`: many applicants through the running system (`make up`), then the
reform's figures as the case ledger reports them (`GET /v1/stats`).

    onestep-simulate --cases 500 --concurrency 32
    onestep-simulate --items open-restaurant,newborn --seed 7 --json

Only aggregates are printed: no applicant's name, ID number or phone.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

import httpx

from ..up import DEV_KEY, PORTS
from .applicant import Applicant, Behaviour, Outcome, call

# Districts of Changsha, Zhuzhou and Xiangtan: cases are handled in one, sometimes accepted in another.
REGIONS = ["430102", "430103", "430104", "430105", "430111", "430112", "430121", "430202", "430203", "430302"]
LOCAL = timezone(timedelta(hours=8))


@dataclass
class Plan:
    intake_url: str = f"http://127.0.0.1:{PORTS['intake']}"
    ledger_url: str = f"http://127.0.0.1:{PORTS['ledger']}"
    key: str = DEV_KEY
    cases: int = 200
    concurrency: int = 16
    items: list[str] = field(default_factory=list)  # empty: every item in force
    regions: list[str] = field(default_factory=lambda: list(REGIONS))
    seed: int = 1
    timeout_s: float = 180.0
    behaviour: Behaviour = field(default_factory=Behaviour)


@dataclass
class Report:
    outcomes: list[Outcome]
    stats: dict[str, Any]

    def summary(self) -> dict[str, Any]:
        seconds = sorted(o.seconds for o in self.outcomes if o.case_id)
        return {
            "cases": len(self.outcomes),
            "by_status": dict(Counter(o.status for o in self.outcomes).most_common()),
            "by_item": dict(Counter(o.item for o in self.outcomes).most_common()),
            "supplement_rounds": sum(o.supplement_rounds for o in self.outcomes),
            "promised_materials": sum(o.promised for o in self.outcomes),
            "seconds_to_answer": _percentiles(seconds),
            "refused": [o.problems for o in self.outcomes if o.status == "refused by intake"][:3],
        }


async def simulate(plan: Plan) -> Report:
    headers = {"Authorization": f"Bearer {plan.key}"}
    async with (
        httpx.AsyncClient(base_url=plan.intake_url, headers=headers, timeout=30) as intake,
        httpx.AsyncClient(base_url=plan.ledger_url, headers=headers, timeout=30) as ledger,
    ):
        items = await _items(intake, plan.items)
        uploaded: set[str] = set()
        rng = random.Random(plan.seed)
        applicants = [
            Applicant(
                intake,
                ledger,
                rng.choice(items),
                rng.choice(plan.regions),
                random.Random(rng.random()),
                plan.behaviour,
                regions=plan.regions,
                timeout_s=plan.timeout_s,
                uploaded=uploaded,
            )
            for _ in range(plan.cases)
        ]
        gate = asyncio.Semaphore(plan.concurrency)

        async def one(applicant: Applicant) -> Outcome:
            async with gate:
                return await applicant.run()

        first_day = datetime.now(LOCAL).date()
        outcomes = await asyncio.gather(*(one(applicant) for applicant in applicants))
        stats = await _stats_once_counted(ledger, outcomes, _common_prefix(plan.regions), first_day)
        return Report(list(outcomes), stats)


async def _items(intake: httpx.AsyncClient, wanted: list[str]) -> list[dict[str, Any]]:
    listed = (await call(intake.get, "/v1/items")).json()["items"]
    codes = [item["code"] for item in listed if not wanted or item["code"] in wanted]
    unknown = sorted(set(wanted) - set(codes))
    if unknown:
        raise SystemExit(f"not items of the catalogue: {', '.join(unknown)}")
    return [(await call(intake.get, f"/v1/items/{code}")).json() for code in codes]


async def _stats_once_counted(
    ledger: httpx.AsyncClient, outcomes: list[Outcome], region: str, first_day: date
) -> dict[str, Any]:
    """The ledger's figures for the days of the run (in the regions' common prefix), once its
    statistics have caught up with what the applicants saw."""
    today = datetime.now(LOCAL).date()
    query = {"since": first_day.isoformat(), "until": today.isoformat(), **({"region": region} if region else {})}
    ended = Counter(o.status for o in outcomes if o.status in ("approved", "rejected", "withdrawn"))
    stats: dict[str, Any] = {}
    for _ in range(120):
        stats = (await call(ledger.get, "/v1/stats", params=query)).json()
        by_state = stats["cases"]["by_state"]
        if all(by_state.get(status, 0) >= count for status, count in ended.items()):
            break
        await asyncio.sleep(0.5)
    return stats


def _common_prefix(regions: list[str]) -> str:
    prefix = regions[0] if regions else ""
    for region in regions[1:]:
        while not region.startswith(prefix):
            prefix = prefix[:-2]
    return prefix


def _percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    cuts = statistics.quantiles(values, n=100) if len(values) > 1 else [values[0]] * 99
    return {"p50": round(cuts[49], 2), "p95": round(cuts[94], 2), "max": round(values[-1], 2)}


def _print(report: Report) -> None:
    summary, stats = report.summary(), report.stats
    print(f"{summary['cases']} applicants; seconds from filing to answer {summary['seconds_to_answer']}")
    for status, count in summary["by_status"].items():
        print(f"  {status:<28} {count}")
    print(f"  supplement rounds answered   {summary['supplement_rounds']}")
    print(f"  materials promised           {summary['promised_materials']}")
    for problems in summary["refused"]:
        print(f"  refused by intake: {problems}")
    if not stats:
        return
    query = "&".join(f"{name}={value}" for name, value in stats["filters"].items() if value)
    print(f"\nThe ledger's figures for the run's days and regions (GET /v1/stats?{query}):")
    print(
        f"  cases {stats['cases']['total']} {stats['cases']['by_state']}, inter-region {stats['cases']['inter_region']}"
    )
    for name in ("procedures", "documents"):
        figure = stats[name]
        print(
            f"  {name:<11} per case {figure['per_case']} against {figure['baseline_per_case']} before: cut {figure['cut']}"
        )
    time = stats["time"]
    days = time["working_days"]
    print(
        f"  working days per decided case {days['per_case']} against {days['baseline_per_case']} before "
        f"(cut {days['cut']}); {time['within_promise']} of {time['decided_cases']} within the promise"
    )
    for department in stats["departments"]:
        print(f"  {department['department']:<34} on time {department['on_time']}/{department['decided']}")


def main(argv: list[str] | None = None) -> None:
    plan = Plan()
    parser = argparse.ArgumentParser(prog="onestep-simulate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=plan.cases)
    parser.add_argument("--concurrency", type=int, default=plan.concurrency)
    parser.add_argument("--items", default="", help="comma-separated item codes (default: every item in force)")
    parser.add_argument("--regions", default=",".join(plan.regions), help="comma-separated GB/T 2260 codes")
    parser.add_argument("--seed", type=int, default=plan.seed)
    parser.add_argument("--intake", default=plan.intake_url)
    parser.add_argument("--ledger", default=plan.ledger_url)
    parser.add_argument("--key", default=plan.key, help="the portal's API key")
    parser.add_argument("--json", action="store_true", help="print the summary and the figures as JSON")
    args = parser.parse_args(argv)
    plan = Plan(
        intake_url=args.intake,
        ledger_url=args.ledger,
        key=args.key,
        cases=args.cases,
        concurrency=args.concurrency,
        items=[code for code in args.items.split(",") if code],
        regions=[code for code in args.regions.split(",") if code],
        seed=args.seed,
    )
    try:
        report = asyncio.run(simulate(plan))
    except httpx.ConnectError as exc:
        sys.exit(f"cannot reach onestep ({exc}); is `make up` running?")
    if args.json:
        print(
            json.dumps(
                {"summary": report.summary(), "stats": report.stats, "plan": {**asdict(plan), "key": "***"}},
                default=str,
            )
        )
    else:
        _print(report)


if __name__ == "__main__":
    main()
