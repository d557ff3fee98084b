"""The `http` adapter: hands each task to the department's own system.

A task is POSTed as JSON to GATEWAY_HTTP_URL, signed (`Onestep-Signature`: HMAC-SHA256 over
the timestamp and the body, as onestep's webhooks), with `Idempotency-Key: <task_id>` so a
retried task is one task for the department, and `Onestep-Callback`: where to POST the
decision (signed with the same secret). Connection errors, timeouts and 5xx are retried with
exponential backoff and jitter; a 4xx is the department refusing the task, never retried:
the task is parked on the gateway's record with the reason. The department's system may
answer at once with a decision in the response body; an answer that is not one (not JSON, or
not a decision) is a refusal too, parked with what is wrong: the department has the task, and
handing it over again would get the same answer.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import httpx
from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from onestep_contracts.adapters import Decision, DepartmentRefused, Task
from onestep_contracts.signing import SIGNATURE_HEADER, sign, verify


class HttpSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_HTTP_")

    url: str = Field(description="the department system's endpoint that takes tasks")
    secret: str = Field(description="shared with the department: signs tasks, verifies its callbacks")
    callback_base_url: str = Field(default="", description="this gateway as the department reaches it")
    status_url: str = Field(
        default="", description="for a department without callbacks: its task status URL, with {task_id}"
    )
    poll_interval_s: float = Field(default=30.0, gt=0, description="how often open tasks' status is asked")
    timeout_s: float = Field(default=10.0, gt=0)
    attempts: int = Field(default=4, ge=1, description="tries per hand-over before the batch waits and retries")
    backoff_s: float = Field(default=0.5, gt=0)


def _retryable(exc: BaseException) -> bool:
    if isinstance(exc, httpx.TransportError):
        return True
    return isinstance(exc, httpx.HTTPStatusError) and exc.response.status_code >= 500


def _decision(answer: object, department: str) -> Decision | None:
    """A decision in the department's answer (licences as {approval, number}), if there is one."""
    if not isinstance(answer, dict) or "outcome" not in answer:
        return None
    licences = answer.get("licences", [])
    if isinstance(licences, list):  # (anything else is left for the validation to name)
        licences = [{"department": department, **item} if isinstance(item, dict) else item for item in licences]
    return Decision.model_validate({**answer, "licences": licences})


def _read(response: httpx.Response, department: str, *, within: str | None = None) -> Decision | None:
    """The decision in a department's answer (under the key `within`, if given), if it gives
    one; DepartmentRefused naming what is wrong when the answer cannot be read."""
    if not response.content:
        return None
    try:
        answer = json.loads(response.content)
        if within is not None:
            answer = answer.get(within) if isinstance(answer, dict) else None
        return _decision(answer, department)
    except ValidationError as exc:
        wrong = "; ".join(f"{'/'.join(map(str, error['loc'])) or '#'}: {error['msg']}" for error in exc.errors())
        reason = f"is not a decision ({wrong})"
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
        # what it is, not what it says: an answer may echo the applicant's data
        kind = response.headers.get("content-type", "no content type")
        reason = f"is not JSON ({kind}, {len(response.content)} bytes: {exc})"
    raise DepartmentRefused(f"{response.status_code} from the department, but its answer {reason}")


class HttpAdapter:
    name = "http"

    def __init__(self, settings: HttpSettings, client: httpx.AsyncClient | None = None):
        self.settings = settings
        self._client = client or httpx.AsyncClient(timeout=settings.timeout_s)

    @classmethod
    def from_config(cls, path: Path) -> HttpAdapter:
        return cls(HttpSettings())

    async def submit(self, task: Task) -> Decision | None:
        body = task.model_dump_json().encode()
        callback = f"{self.settings.callback_base_url.rstrip('/')}/v1/callbacks/{task.task_id}"
        response = await self._post(
            self.settings.url, body, {"Idempotency-Key": task.task_id, "Onestep-Callback": callback}
        )
        return _read(response, task.department)

    async def cancel(self, task_id: str, reason: str) -> None:
        body = json.dumps({"task_id": task_id, "reason": reason}).encode()
        with contextlib.suppress(DepartmentRefused):  # it has no such open task: nothing to cancel
            await self._post(f"{self.settings.url.rstrip('/')}/{task_id}/cancellation", body, {})

    @property
    def polls(self) -> bool:
        return bool(self.settings.status_url)

    async def poll(self, task_id: str, department: str) -> Decision | None:
        """The department's decision on the task if it has made one (a signed GET of its status
        URL answering `{"decision": {...}}`), else None; DepartmentRefused when the answer
        cannot be read."""
        url = self.settings.status_url.format(task_id=task_id)
        response = await self._client.get(url, headers={SIGNATURE_HEADER: sign(self.settings.secret, b"")})
        if response.status_code != 200:
            return None
        return _read(response, department, within="decision")

    def verify(self, body: bytes, signature: str) -> bool:
        """Whether a callback comes from the department (signed with the shared secret, fresh)."""
        return verify(self.settings.secret, body, signature)

    async def _post(self, url: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
        async for attempt in AsyncRetrying(
            retry=retry_if_exception(_retryable),
            wait=wait_exponential_jitter(multiplier=self.settings.backoff_s, jitter=self.settings.backoff_s, max=30),
            stop=stop_after_attempt(self.settings.attempts),
            reraise=True,
        ):
            with attempt:
                signed = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(self.settings.secret, body)}
                response = await self._client.post(url, content=body, headers={**headers, **signed})
                if response.status_code >= 500:
                    response.raise_for_status()
        if response.status_code >= 400:
            raise DepartmentRefused(f"{response.status_code} from the department: {response.text[:300]}")
        return response
