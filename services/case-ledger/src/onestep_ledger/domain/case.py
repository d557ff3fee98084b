"""The Case aggregate: one application, its departments' tasks, and the one answer.

Pure domain: plain values in and out, times as ISO strings. Each integration event is applied
at most once (its id is remembered); a decision that arrives before its application is held
until the application comes, since the two travel on different topics. A transition that is
not allowed is recorded as refused, with its reason, and changes nothing else.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from eventsourcing.domain import Aggregate, event

from . import case_rules as rules
from .case_rules import FINAL_STATES, Calendar, Timing


def _at(moment: str) -> datetime:
    return datetime.fromisoformat(moment)


class Case(Aggregate):
    class Opened(Aggregate.Created):
        application: dict[str, Any]
        event_id: str

    class DecisionArrivedFirst(Aggregate.Created):
        decision: dict[str, Any]
        event_id: str

    class AcceptanceArrivedFirst(Aggregate.Created):
        acceptance: dict[str, Any]
        event_id: str

    def __init__(
        self,
        application: dict | None = None,
        decision: dict | None = None,
        event_id: str = "",
        acceptance: dict | None = None,
    ):
        self.applied_event_ids: list[str] = [event_id]
        # Decisions and gateways' acceptances that came before the application, in arrival order.
        self.held_decisions: list[dict[str, Any]] = []
        if decision:
            self.held_decisions.append({"decision": decision, "event_id": event_id})
        if acceptance:
            self.held_decisions.append({"acceptance": acceptance, "event_id": event_id})
        self.application: dict[str, Any] | None = None
        self.status = "awaiting_application"
        self.departments: dict[str, dict[str, Any]] = {}
        self.licences: list[dict[str, str]] = []
        self.form: dict[str, Any] = {}
        self.materials: list[dict[str, Any]] = []
        self.promises: dict[str, dict[str, Any]] = {}
        self.due_at: str | None = None
        self.clock_stopped_at: str | None = None
        self.notice: list[dict[str, Any]] = []
        self.fired_timers: list[str] = []
        if application is not None:
            self._take(application)

    # -- commands ---------------------------------------------------------------------

    @classmethod
    def open(cls, case_id: Any, application: dict[str, Any], event_id: str) -> Case:
        """A case for a submitted application; its route is fixed from now on. Each route step
        carries its first task id; steps with nothing to wait for are open at once."""
        return cls._create(cls.Opened, id=case_id, application=application, event_id=event_id)

    @classmethod
    def await_application(cls, case_id: Any, decision: dict[str, Any], event_id: str) -> Case:
        """A case known only from a decision so far; the decision waits for the application."""
        return cls._create(cls.DecisionArrivedFirst, id=case_id, decision=decision, event_id=event_id)

    @classmethod
    def await_application_accepted(cls, case_id: Any, acceptance: dict[str, Any], event_id: str) -> Case:
        """A case known only from a gateway's acceptance so far; it waits for the application."""
        return cls._create(cls.AcceptanceArrivedFirst, id=case_id, acceptance=acceptance, event_id=event_id)

    def file(self, application: dict[str, Any], event_id: str, calendar: Calendar) -> None:
        """The application arrives: opens a case that was waiting for it. A different
        application under the same case (a reused Idempotency-Key) is refused on the record."""
        if event_id in self.applied_event_ids:
            return
        if self.application is not None:
            if application.get("fingerprint") != self.application.get("fingerprint"):
                self._application_refused(event_id, "the Idempotency-Key was reused for a different application")
            return
        self._application_arrived(application, event_id)
        for held in list(self.held_decisions):
            if "acceptance" in held:
                self.acknowledge(held["acceptance"], held["event_id"])
            else:
                self.record_decision(held["decision"], held["event_id"], calendar)

    def record_decision(self, decision: dict[str, Any], event_id: str, calendar: Calendar) -> None:
        """Applies a department's decision, or records why it is refused; repeats are ignored."""
        releasing_held = self.application is not None and self._is_held(event_id)
        if event_id in self.applied_event_ids and not releasing_held:
            return
        if self.application is None:
            self._decision_held(decision, event_id)
            return
        refusal = rules.decision_refusal(self.status, self.departments, decision)
        if refusal:
            self._decision_refused(decision, event_id, refusal)
            return
        self._department_decided(decision, event_id)
        if decision["outcome"] == "rejected":
            self._end_open_tasks(f"{decision['department']} rejected the application")
            self._rejected(decision["department"], decision.get("reason", ""), self.portal, self.item)
            return
        if decision["outcome"] == "approved":
            self._open_ready_tasks(decision["decided_at"], calendar)
        self._send_notice_when_all_answered(decision["decided_at"])
        self._approve_when_complete()

    def acknowledge(self, acceptance: dict[str, Any], event_id: str) -> None:
        """A department's gateway has taken the task: the task is routed, and a mark that it
        was unroutable is cleared. An acceptance of another round's task changes nothing."""
        releasing_held = self.application is not None and self._is_held(event_id)
        if event_id in self.applied_event_ids and not releasing_held:
            return
        if self.application is None:
            self._acceptance_held(acceptance, event_id)
            return
        part = self.departments.get(acceptance["department"])
        if part is None or part["task_id"] != acceptance["task_id"]:
            return
        if acceptance["gateway"] not in part.get("accepted_by", []):
            self._task_accepted(acceptance, event_id)

    def supply(self, supplement: dict[str, Any], event_id: str, calendar: Calendar) -> None:
        """The applicant's supplement: answers the notice (only the departments that asked review
        again, and the clock restarts), or supplies materials promised at submission."""
        if event_id in self.applied_event_ids:
            return
        refusal = self._supplement_refusal(supplement)
        if refusal:
            self._supplement_refused(event_id, refusal)
            return
        now = supplement["supplied_at"]
        if self._answers_notice(supplement):
            paused = calendar.working_time_between(_at(self.clock_stopped_at), _at(now))
            shifted = {
                code: calendar.add_working_time(_at(part["due_at"]), paused).isoformat()
                for code, part in self.departments.items()
                if part["status"] == "waiting"
            }
            due_at = calendar.add_working_time(_at(self.due_at), paused).isoformat()
            self._supplement_provided(supplement, event_id, due_at, shifted, paused.total_seconds())
            for request in self.notice_answered:
                self._open_task(request["department"], now, calendar, reason="supplement provided")
            self._send_notice_when_all_answered(now)
        else:  # promised materials, given whenever they are ready: a pending notice stays pending
            self._supplement_provided(supplement, event_id, self.due_at, {}, 0.0, answers_notice=False)
        self._approve_when_complete()

    def withdraw(self, request: dict[str, Any], event_id: str) -> None:
        """The applicant withdraws before the case is decided; open tasks are cancelled."""
        if event_id in self.applied_event_ids:
            return
        if self.application is None or request.get("portal") != self.portal:
            self._withdrawal_refused(event_id, "no such case for this portal")
            return
        if self.status in FINAL_STATES:
            self._withdrawal_refused(event_id, f"the case is already {self.status}")
            return
        self._end_open_tasks("the applicant withdrew the application")
        self._withdrawn(event_id, request.get("reason", ""), self.portal, self.item)

    def fire(self, timer: dict[str, str], timing: Timing) -> None:
        """A timer fell due. It acts once, and only if the case still has it: a timer whose task
        was decided, whose deadline moved or whose case ended is stale and ignored."""
        if timer["id"] not in {current["id"] for current in self.timers(timing)}:
            return
        kind, subject = timer["kind"], timer["subject"]
        if kind in ("reminder", "overdue"):
            department, task_id = subject.split("/", 1)
            due_at = self.departments[department]["due_at"]
            if kind == "reminder":
                self._task_reminded(timer["id"], department, task_id, due_at, "yellow")
            else:
                self._task_overdue(timer["id"], department, task_id, due_at, "red")
        elif kind == "supplement-window":
            requests = rules.merge_supplement_requests(self.departments)
            self._supplement_requested(requests, timer["at"], self.portal, self.item)
        elif kind == "unroutable":
            department, task_id = subject.split("/", 1)
            opened_at = self.departments[department]["opened_at"]
            self._task_unroutable(timer["id"], department, task_id, self.application["region"], opened_at)
        elif kind == "promise-missed":
            self._promise_missed(timer["id"], subject, self.promises[subject]["by"], self.portal, self.item)

    def fire_due(self, by: datetime, timing: Timing) -> None:
        """Fires each timer that falls before `by`, in the order `timers` lists them; one that an
        earlier one's firing made stale is not fired."""
        fired: set[str] = set()
        while due := [t for t in self.timers(timing) if t["id"] not in fired and _at(t["at"]) < by]:
            fired.add(due[0]["id"])
            self.fire(due[0], timing)

    # -- queries ----------------------------------------------------------------------

    def timers(self, timing: Timing) -> list[dict[str, str]]:
        """The timers the case has now and that have not fired: reminders and overdue marks of
        open tasks, the routing window of tasks no gateway has accepted yet, the supplement
        window while other departments are still deciding, and the dates of promised materials
        not yet supplied."""
        if self.application is None or self.status in FINAL_STATES:
            return []
        open_parts = {department: part for department, part in self.departments.items() if part["status"] == "pending"}
        timers = [
            timer for department, part in open_parts.items() for timer in rules.task_timers(department, part, timing)
        ]
        timers += [
            rules.routing_timer(department, part, timing)
            for department, part in open_parts.items()
            if not part.get("accepted_by")
        ]
        if self.status != "supplement_required" and rules.undecided(self.departments):
            window = rules.supplement_window_timer(self.departments, timing)
            timers += [window] if window else []
        timers += [rules.promise_timer(code, self.promises[code]["by"], timing) for code in self.outstanding_promises]
        return [timer for timer in timers if timer["id"] not in self.fired_timers]

    @property
    def portal(self) -> str | None:
        return self.application["portal"] if self.application else None

    @property
    def item(self) -> str | None:
        return self.application["item"] if self.application else None

    @property
    def outstanding_promises(self) -> list[str]:
        return [code for code, promise in self.promises.items() if promise["supplied_at"] is None]

    @property
    def notice_answered(self) -> list[dict[str, Any]]:
        """The departments of the last notice, once it has been answered (their new round is due)."""
        return [request for request in self.notice if self.departments[request["department"]]["status"] == "answered"]

    def _is_held(self, event_id: str) -> bool:
        return any(held["event_id"] == event_id for held in self.held_decisions)

    def _supplement_refusal(self, supplement: dict[str, Any]) -> str | None:
        if self.application is None or supplement.get("portal") != self.portal:
            return "no such case for this portal"
        if self.status in FINAL_STATES:
            return f"the case is already {self.status}"
        given = {material["code"] for material in supplement.get("materials", [])}
        if self._answers_notice(supplement) or given & set(self.outstanding_promises):
            return None
        if self.status == "supplement_required":
            missing = rules.still_missing(self.notice, supplement.get("materials", []), supplement.get("answers", {}))
            return f"the supplement does not give {missing}; nothing was applied"
        return "the case is not waiting for a supplement or a promised material"

    def _answers_notice(self, supplement: dict[str, Any]) -> bool:
        """Whether the supplement gives everything the pending notice asked for."""
        return self.status == "supplement_required" and not rules.still_missing(
            self.notice, supplement.get("materials", []), supplement.get("answers", {})
        )

    # -- steps ------------------------------------------------------------------------

    def _open_ready_tasks(self, now: str, calendar: Calendar) -> None:
        issued = {licence["approval"] for licence in self.licences}
        for department in rules.ready_to_open(self.departments, issued):
            self._open_task(department, now, calendar, reason="prerequisites issued")

    def _open_task(self, department: str, now: str, calendar: Calendar, *, reason: str) -> None:
        part = self.departments[department]
        round_ = part["round"] + 1 if part["status"] == "answered" else part["round"]
        task_id = (
            part["task_id"] if round_ == part["round"] else rules.next_round_task_id(part["first_task_id"], round_)
        )
        due_at = calendar.add_working_days(_at(now), part["promised_days"]).isoformat()
        handed = [licence for licence in self.licences if licence["approval"] in part["needs"]]
        self._task_opened(
            department,
            round_,
            task_id,
            due_at,
            now,
            reason,
            part["approvals"],
            handed,
            self.form,
            self.materials,
            {key: self.application[key] for key in ("item", "item_version", "region", "accepted_region")},
        )

    def _send_notice_when_all_answered(self, now: str) -> None:
        """Supplement requests wait until no open task is undecided, then go out as one notice."""
        requests = rules.merge_supplement_requests(self.departments)
        if requests and not rules.undecided(self.departments) and self.status != "supplement_required":
            self._supplement_requested(requests, now, self.portal, self.item)

    def _approve_when_complete(self) -> None:
        if self.status in FINAL_STATES or not all(p["status"] == "approved" for p in self.departments.values()):
            return
        if self.outstanding_promises:
            if self.status != "awaiting_promised_materials":
                self._awaiting_promised_materials(self.outstanding_promises)
            return
        self._approved(list(self.licences), self.portal, self.item)

    def _end_open_tasks(self, reason: str) -> None:
        for department, part in self.departments.items():
            if part["status"] == "pending":
                self._task_cancelled(department, part["task_id"], reason)

    # -- events -----------------------------------------------------------------------

    def _take(self, application: dict[str, Any]) -> None:
        self.application = application
        self.status = "submitted"
        self.form = dict(application["form"])
        self.materials = list(application["materials"])
        self.due_at = application["due_at"]
        self.promises = {p["code"]: {"by": p["by"], "supplied_at": None} for p in application.get("promises", [])}
        self.departments = {
            step["department"]: {
                "status": "waiting" if step.get("needs") else "pending",
                "round": 1,
                "task_id": step["task_id"],
                "first_task_id": step["task_id"],
                "approvals": step["approvals"],
                "needs": step.get("needs", []),
                "promised_days": step["promised_days"],
                "due_at": step["due_at"],
                "opened_at": None if step.get("needs") else application["submitted_at"],
                "licences": [],
                "missing": [],
                "level": None,
                "accepted_by": [],
                "unroutable": False,
            }
            for step in application["route"]
        }

    @event("ApplicationArrived")
    def _application_arrived(self, application: dict[str, Any], event_id: str) -> None:
        self.applied_event_ids.append(event_id)
        self._take(application)

    @event("DecisionHeld")
    def _decision_held(self, decision: dict[str, Any], event_id: str) -> None:
        self.applied_event_ids.append(event_id)
        self.held_decisions.append({"decision": decision, "event_id": event_id})

    @event("AcceptanceHeld")
    def _acceptance_held(self, acceptance: dict[str, Any], event_id: str) -> None:
        self.applied_event_ids.append(event_id)
        self.held_decisions.append({"acceptance": acceptance, "event_id": event_id})

    @event("TaskAccepted")
    def _task_accepted(self, acceptance: dict[str, Any], event_id: str) -> None:
        self._mark_applied(event_id)
        part = self.departments[acceptance["department"]]
        part["accepted_by"] = [*part.get("accepted_by", []), acceptance["gateway"]]
        part["unroutable"] = False

    @event("TaskUnroutable")
    def _task_unroutable(self, timer_id: str, department: str, task_id: str, region: str, opened_at: str) -> None:
        self.fired_timers.append(timer_id)
        self.departments[department]["unroutable"] = True

    @event("ApplicationRefused")
    def _application_refused(self, event_id: str, reason: str) -> None:
        self.applied_event_ids.append(event_id)

    @event("DecisionRefused")
    def _decision_refused(self, decision: dict[str, Any], event_id: str, reason: str) -> None:
        self._mark_applied(event_id)

    @event("DepartmentDecided")
    def _department_decided(self, decision: dict[str, Any], event_id: str) -> None:
        self._mark_applied(event_id)
        part = self.departments[decision["department"]]
        part.update(
            status=decision["outcome"],
            reason=decision.get("reason", ""),
            decided_at=decision["decided_at"],
            licences=decision.get("licences", []),
            missing=decision.get("missing", []),
        )
        gateway = decision.get("gateway")
        if gateway and gateway not in part.get("accepted_by", []):  # decided at once: taken too
            part["accepted_by"] = [*part.get("accepted_by", []), gateway]
            part["unroutable"] = False
        self.licences.extend(decision.get("licences", []))
        if self.status == "submitted":
            self.status = "in_review"

    @event("TaskOpened")
    def _task_opened(
        self,
        department: str,
        round: int,
        task_id: str,
        due_at: str,
        opened_at: str,
        reason: str,
        approvals: list[str],
        licences: list[dict[str, str]],
        form: dict[str, Any],
        materials: list[dict[str, Any]],
        case: dict[str, Any],
    ) -> None:
        self.departments[department].update(
            status="pending",
            round=round,
            task_id=task_id,
            due_at=due_at,
            opened_at=opened_at,
            missing=[],
            level=None,
            accepted_by=[],
            unroutable=False,
        )

    @event("TaskCancelled")
    def _task_cancelled(self, department: str, task_id: str, reason: str) -> None:
        self.departments[department]["status"] = "cancelled"

    @event("SupplementRequested")
    def _supplement_requested(self, requests: list[dict[str, Any]], at: str, portal: str, item: str) -> None:
        self.notice = requests
        self.status = "supplement_required"
        self.clock_stopped_at = at

    @event("SupplementProvided")
    def _supplement_provided(
        self,
        supplement: dict[str, Any],
        event_id: str,
        due_at: str,
        shifted: dict[str, str],
        paused_s: float,
        answers_notice: bool = True,
    ) -> None:
        self.applied_event_ids.append(event_id)
        self.materials = rules.merge_materials(self.materials, supplement.get("materials", []))
        self.form = {**self.form, **supplement.get("answers", {})}
        for material in supplement.get("materials", []):
            if material["code"] in self.promises and self.promises[material["code"]]["supplied_at"] is None:
                self.promises[material["code"]]["supplied_at"] = supplement["supplied_at"]
        if answers_notice and self.status == "supplement_required":
            for request in self.notice:
                self.departments[request["department"]]["status"] = "answered"
            self.status = "in_review"
            self.clock_stopped_at = None
        self.due_at = due_at
        for department, due in shifted.items():
            self.departments[department]["due_at"] = due

    @event("SupplementRefused")
    def _supplement_refused(self, event_id: str, reason: str) -> None:
        self.applied_event_ids.append(event_id)

    @event("TaskReminded")
    def _task_reminded(self, timer_id: str, department: str, task_id: str, due_at: str, level: str) -> None:
        self.fired_timers.append(timer_id)
        self.departments[department]["level"] = level

    @event("TaskOverdue")
    def _task_overdue(self, timer_id: str, department: str, task_id: str, due_at: str, level: str) -> None:
        self.fired_timers.append(timer_id)
        self.departments[department]["level"] = level

    @event("PromiseMissed")
    def _promise_missed(self, timer_id: str, code: str, by: str, portal: str, item: str) -> None:
        self.fired_timers.append(timer_id)
        self.promises[code]["missed"] = True

    @event("AwaitingPromisedMaterials")
    def _awaiting_promised_materials(self, codes: list[str]) -> None:
        self.status = "awaiting_promised_materials"

    @event("Approved")
    def _approved(self, licences: list[dict[str, str]], portal: str, item: str) -> None:
        self.status = "approved"

    @event("Rejected")
    def _rejected(self, department: str, reason: str, portal: str, item: str) -> None:
        self.status = "rejected"
        self._cancel_waiting()

    @event("Withdrawn")
    def _withdrawn(self, event_id: str, reason: str, portal: str, item: str) -> None:
        self.applied_event_ids.append(event_id)
        self.status = "withdrawn"
        self._cancel_waiting()

    @event("WithdrawalRefused")
    def _withdrawal_refused(self, event_id: str, reason: str) -> None:
        self.applied_event_ids.append(event_id)

    def _cancel_waiting(self) -> None:
        for part in self.departments.values():
            if part["status"] in ("waiting", "answered"):
                part["status"] = "cancelled"

    def _mark_applied(self, event_id: str) -> None:
        if event_id not in self.applied_event_ids:
            self.applied_event_ids.append(event_id)
        self.held_decisions = [held for held in self.held_decisions if held["event_id"] != event_id]
