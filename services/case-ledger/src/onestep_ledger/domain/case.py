"""The Case aggregate: one application, its departments' decisions, and the one answer.

Pure domain: plain values in and out. Each integration event is applied at most once
(its id is remembered), and a decision that arrives before its application is held on
the case until the application comes, since the two travel on different topics.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import Aggregate, event

FINAL_STATES = frozenset({"approved", "rejected"})
FINAL_OUTCOMES = frozenset({"approved", "rejected"})


class Case(Aggregate):
    class Opened(Aggregate.Created):
        application: dict[str, Any]
        event_id: str

    class DecisionArrivedFirst(Aggregate.Created):
        decision: dict[str, Any]
        event_id: str

    def __init__(self, application: dict | None = None, decision: dict | None = None, event_id: str = ""):
        self.applied_event_ids: list[str] = [event_id]
        self.held_decisions: list[dict[str, Any]] = [{"decision": decision, "event_id": event_id}] if decision else []
        self.application: dict[str, Any] | None = None
        self.status = "awaiting_application"
        self.departments: dict[str, dict[str, Any]] = {}
        self.licences: list[dict[str, str]] = []
        if application is not None:
            self._take(application)

    # -- commands ---------------------------------------------------------------------

    @classmethod
    def open(cls, case_id: Any, application: dict[str, Any], event_id: str) -> Case:
        """A case for a submitted application; its route is fixed from now on."""
        return cls._create(cls.Opened, id=case_id, application=application, event_id=event_id)

    @classmethod
    def await_application(cls, case_id: Any, decision: dict[str, Any], event_id: str) -> Case:
        """A case known only from a decision so far; the decision waits for the application."""
        return cls._create(cls.DecisionArrivedFirst, id=case_id, decision=decision, event_id=event_id)

    def file(self, application: dict[str, Any], event_id: str) -> None:
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
            self.record_decision(held["decision"], held["event_id"])

    def record_decision(self, decision: dict[str, Any], event_id: str) -> None:
        """Applies a department's decision, or records why it is refused; repeats are ignored."""
        releasing_held = self.application is not None and self._is_held(event_id)
        if event_id in self.applied_event_ids and not releasing_held:
            return
        if self.application is None:
            self._decision_held(decision, event_id)
            return
        refusal = self._refusal(decision)
        if refusal:
            self._decision_refused(decision, event_id, refusal)
            return
        self._department_decided(decision, event_id)
        if decision["outcome"] == "rejected":
            self._rejected(decision["department"], decision.get("reason", ""), self.portal, self.item)
        elif all(part["status"] == "approved" for part in self.departments.values()):
            self._approved(list(self.licences), self.portal, self.item)

    # -- queries ----------------------------------------------------------------------

    @property
    def portal(self) -> str | None:
        return self.application["portal"] if self.application else None

    @property
    def item(self) -> str | None:
        return self.application["item"] if self.application else None

    def _is_held(self, event_id: str) -> bool:
        return any(held["event_id"] == event_id for held in self.held_decisions)

    def _refusal(self, decision: dict[str, Any]) -> str | None:
        department = decision["department"]
        if self.status in FINAL_STATES:
            return f"the case is already {self.status}"
        if department not in self.departments:
            return f"{department} is not on this case's route"
        if self.departments[department]["status"] in FINAL_OUTCOMES:
            return f"{department} has already decided ({self.departments[department]['status']})"
        return None

    # -- events -----------------------------------------------------------------------

    def _take(self, application: dict[str, Any]) -> None:
        self.application = application
        self.status = "submitted"
        self.departments = {
            step["department"]: {"status": "pending", "approvals": step["approvals"], "due_at": step["due_at"]}
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
        self.licences.extend(decision.get("licences", []))
        self.status = "supplement_required" if decision["outcome"] == "supplement_required" else "in_review"

    @event("Approved")
    def _approved(self, licences: list[dict[str, str]], portal: str, item: str) -> None:
        self.status = "approved"

    @event("Rejected")
    def _rejected(self, department: str, reason: str, portal: str, item: str) -> None:
        self.status = "rejected"

    def _mark_applied(self, event_id: str) -> None:
        if event_id not in self.applied_event_ids:
            self.applied_event_ids.append(event_id)
        self.held_decisions = [held for held in self.held_decisions if held["event_id"] != event_id]
