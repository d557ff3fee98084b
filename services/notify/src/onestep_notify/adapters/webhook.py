"""POSTs case events to a portal's webhook, signed, retrying with exponential backoff and jitter.

A POST carries one structured CloudEvent (`application/cloudevents+json`), or, for a portal
that takes batches, a JSON array of them (CloudEvents' batched mode,
`application/cloudevents-batch+json`): the portal acknowledges the whole array at once.

Retried: connection errors, timeouts, 5xx and 429. Not retried: any other 4xx (the portal
refused the request; sending it again would not change that), which parks the delivery.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from tenacity import AsyncRetrying, RetryError, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

from onestep_contracts.signing import SIGNATURE_HEADER, sign


class _Retryable(Exception):
    pass


@dataclass(frozen=True)
class Attempt:
    outcome: str  # delivered | failed | parked
    detail: str


@dataclass(frozen=True)
class Post:
    """What one webhook POST carries."""

    body: bytes
    content_type: str
    event_id: str | None  # the one event's id (header `Onestep-Event-Id`); a batch's are in its body

    @classmethod
    def single(cls, body: bytes, event_id: str) -> Post:
        return cls(body, "application/cloudevents+json", event_id)

    @classmethod
    def batch(cls, bodies: list[bytes]) -> Post:
        return cls(b"[" + b",".join(bodies) + b"]", "application/cloudevents-batch+json", None)


@dataclass(frozen=True)
class DeliveryResult:
    delivered: bool
    attempts: list[Attempt]
    gave_up_on: str | None = None  # parked after failing every attempt (not refused): how the last one failed


class WebhookSender:
    def __init__(self, client: httpx.AsyncClient, *, max_attempts: int, backoff_initial_s: float, backoff_max_s: float):
        self._client = client
        self._max_attempts = max_attempts
        self._backoff_initial_s = backoff_initial_s
        self._backoff_max_s = backoff_max_s

    async def deliver(self, url: str, secret: str, post: Post, *, max_attempts: int | None = None) -> DeliveryResult:
        """POSTs until the portal takes it or refuses it, or `max_attempts` (the sender's own,
        unless given) have failed."""
        attempts: list[Attempt] = []

        async def attempt_once() -> None:
            headers = {"Content-Type": post.content_type, SIGNATURE_HEADER: sign(secret, post.body)}
            if post.event_id:
                headers["Onestep-Event-Id"] = post.event_id
            try:
                response = await self._client.post(url, content=post.body, headers=headers)
            except httpx.HTTPError as exc:
                attempts.append(Attempt("failed", f"{type(exc).__name__}: {exc}"))
                raise _Retryable from exc
            if response.is_success:
                attempts.append(Attempt("delivered", f"HTTP {response.status_code}"))
                return
            detail = f"HTTP {response.status_code}"
            if response.status_code >= 500 or response.status_code == 429:
                attempts.append(Attempt("failed", detail))
                raise _Retryable(detail)
            attempts.append(Attempt("parked", f"{detail}: the portal refused it"))

        retrying = AsyncRetrying(
            stop=stop_after_attempt(max_attempts or self._max_attempts),
            wait=wait_exponential_jitter(
                multiplier=self._backoff_initial_s, jitter=self._backoff_initial_s, max=self._backoff_max_s
            ),
            retry=retry_if_exception_type(_Retryable),
        )
        try:
            async for attempt in retrying:
                with attempt:
                    await attempt_once()
        except RetryError:
            last = attempts[-1]
            attempts[-1] = Attempt("parked", f"{last.detail}; gave up after {len(attempts)} attempts")
            return DeliveryResult(delivered=False, attempts=attempts, gave_up_on=last.detail)
        return DeliveryResult(delivered=attempts[-1].outcome == "delivered", attempts=attempts)
