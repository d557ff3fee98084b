"""Runs a service's background loops (consumers, relays) for as long as its API is up."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from .kafka import RenewingProducer, start_with_retry

log = logging.getLogger(__name__)

# name → (run until stopped, ask to stop)
Loops = dict[str, tuple[Callable[[], Awaitable[None]], Callable[[], None]]]


async def _supervise(name: str, run: Callable[[], Awaitable[None]], restart_delay_s: float) -> None:
    """Runs the loop; if it crashes, logs why and starts it again."""
    while True:
        try:
            await run()
            return
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("%s crashed; restarting in %.0fs", name, restart_delay_s)
            await asyncio.sleep(restart_delay_s)


@contextlib.asynccontextmanager
async def background_loops(
    producer: RenewingProducer, loops: Loops, *, drain_timeout_s: float = 10.0, restart_delay_s: float = 2.0
) -> AsyncIterator[None]:
    """Starts the producer (retrying until Kafka answers), then the loops; on exit each loop
    is asked to stop, given `drain_timeout_s` to finish its batch and commit, then the
    producer is flushed and closed."""

    async def main() -> None:
        await start_with_retry(producer, name="producer", log=log)
        await asyncio.gather(*(_supervise(name, run, restart_delay_s) for name, (run, _) in loops.items()))

    task = asyncio.create_task(main())
    try:
        yield
    finally:
        for _, stop in loops.values():
            stop()
        try:
            await asyncio.wait_for(task, drain_timeout_s)
        except (TimeoutError, asyncio.CancelledError):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await producer.stop()
