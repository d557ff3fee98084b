"""The delivery record of one case: each event is delivered once per channel.

Pure domain. A delivery is requested once (a repeat request for the same event and channel
is ignored), then attempted until it is delivered or parked. A parked delivery may be asked
for again (redelivered): pending once more, attempted as before, its earlier attempts kept.
"""

from __future__ import annotations

import functools
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

# Why a delivery was parked: its portal's webhook failed every attempt (or, while it did, was
# tried once or not at all), the portal refused it (4xx), or the portal has no webhook configured.
UNREACHABLE, REFUSED, UNCONFIGURED = "unreachable", "refused", "unconfigured"


def delivery_key(event_id: str, channel: str) -> str:
    return f"{event_id}/{channel}"


class CaseNotifications(Aggregate):
    @staticmethod
    @functools.lru_cache(maxsize=4096)  # asked three times for each event of a case (about 4 % of notify)
    def create_id(case_id: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"onestep:notifications:{case_id}")

    @event("Started")
    def __init__(self, case_id: str, portal: str):
        self.case_id = case_id
        self.portal = portal
        self.deliveries: dict[str, dict[str, Any]] = {}

    def request(self, event_id: str, event_type: str, channel: str, target: str, body: str) -> bool:
        """Asks for the event to be delivered on the channel; False if it was asked already."""
        if delivery_key(event_id, channel) in self.deliveries:
            return False
        self._delivery_requested(event_id, event_type, channel, target, body)
        return True

    def record_attempt(
        self, event_id: str, channel: str, outcome: str, detail: str, final: bool, parked_as: str = UNREACHABLE
    ) -> None:
        """outcome: delivered, failed (will retry) or parked (gave up, visibly); a final attempt
        that did not deliver parks the delivery, as `parked_as` (UNREACHABLE, REFUSED or UNCONFIGURED)."""
        delivery = self.deliveries[delivery_key(event_id, channel)]
        if delivery["state"] != "pending":
            return
        self._attempted(event_id, channel, outcome, detail, final)
        if final and outcome != "delivered":
            self._parked(event_id, channel, parked_as, detail, self.case_id, self.portal)

    def redeliver(self, event_id: str, channel: str, body: str) -> bool:
        """Asks again for a parked delivery, whose `body` is the one first requested; False if
        the delivery is not parked (delivered, pending, or not this record's)."""
        delivery = self.deliveries.get(delivery_key(event_id, channel))
        if delivery is None or delivery["state"] != "parked":
            return False
        self._redelivery_requested(event_id, delivery["event_type"], channel, delivery["target"], body)
        return True

    @event("DeliveryRequested")
    def _delivery_requested(self, event_id: str, event_type: str, channel: str, target: str, body: str) -> None:
        self.deliveries[delivery_key(event_id, channel)] = {
            "event_id": event_id,
            "event_type": event_type,
            "channel": channel,
            "target": target,
            "state": "pending",
            "attempts": [],
        }

    @event("DeliveryAttempted")
    def _attempted(self, event_id: str, channel: str, outcome: str, detail: str, final: bool) -> None:
        delivery = self.deliveries[delivery_key(event_id, channel)]
        delivery["attempts"].append({"outcome": outcome, "detail": detail})
        if outcome == "delivered":
            delivery["state"] = "delivered"
        elif final:
            delivery["state"] = "parked"

    @event("DeliveryParked")
    def _parked(self, event_id: str, channel: str, kind: str, reason: str, case_id: str, portal: str) -> None:
        """Names the parked delivery's case and portal, for the list of a portal's parked
        deliveries (the attempt before it parked it; records written before this event have
        only that)."""
        self.deliveries[delivery_key(event_id, channel)]["parked_as"] = kind

    @event("RedeliveryRequested")
    def _redelivery_requested(self, event_id: str, event_type: str, channel: str, target: str, body: str) -> None:
        """As DeliveryRequested, so the dispatcher hands both over alike."""
        delivery = self.deliveries[delivery_key(event_id, channel)]
        delivery["state"] = "pending"
        delivery.pop("parked_as", None)
        delivery["redeliveries"] = delivery.get("redeliveries", 0) + 1
