"""Portals filing a stream of applications through intake, as a real portal would: a 503 or
a dropped connection is retried after Retry-After with the same Idempotency-Key, so a retry
never makes a second case."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from onestep_local.stack import PORTAL_KEY

from ..scenarios import restaurant_application


class Stream:
    def __init__(
        self,
        intake_url: str,
        bodies: Callable[[int], dict[str, Any]],
        *,
        count: int,
        concurrency: int = 12,
        give_up_after_s: float = 600.0,
    ):
        self._url = f"{intake_url}/v1/applications"
        self._bodies = bodies
        self.count = count
        self._concurrency = concurrency
        self._give_up_after_s = give_up_after_s
        self.accepted: dict[str, str] = {}  # Idempotency-Key → case id
        self.unaccepted: list[str] = []
        self.refused_503 = 0
        self.connection_errors = 0
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> Stream:
        self._thread.start()
        return self

    def join(self, timeout_s: float = 900.0) -> Stream:
        self._thread.join(timeout_s)
        assert not self._thread.is_alive(), "the stream did not finish"
        return self

    @property
    def filed(self) -> int:
        return len(self.accepted) + len(self.unaccepted)

    def _run(self) -> None:
        with (
            httpx.Client(headers={"Authorization": f"Bearer {PORTAL_KEY}"}, timeout=15) as client,
            ThreadPoolExecutor(self._concurrency) as pool,
        ):
            list(pool.map(lambda n: self._file(client, n), range(self.count)))

    def _file(self, client: httpx.Client, number: int) -> None:
        key, body = str(uuid.uuid4()), self._bodies(number)
        deadline = time.monotonic() + self._give_up_after_s
        while time.monotonic() < deadline:
            try:
                response = client.post(self._url, json=body, headers={"Idempotency-Key": key})
            except httpx.TransportError:
                with self._lock:
                    self.connection_errors += 1
                time.sleep(0.5)
                continue
            if response.status_code == 503:
                with self._lock:
                    self.refused_503 += 1
                time.sleep(min(float(response.headers.get("Retry-After", "1")), 2.0))
                continue
            assert response.status_code == 202, response.text
            with self._lock:
                self.accepted[key] = response.json()["case_id"]
            return
        with self._lock:
            self.unaccepted.append(key)


def restaurants(marker: str):
    """Restaurants of every shape: some need fire rescue or a sign permit, and one in ten is a
    tiny raw-seafood kitchen that market regulation rejects."""

    def body(number: int) -> dict:
        application = restaurant_application(seats=20 + number % 90, sign=number % 4 == 0)
        application["form"]["business_name"] = f"{marker} #{number}"
        if number % 10 == 7:
            application["form"].update(food_categories=["raw_seafood"], floor_area_m2=20.0)
        return application

    return body
