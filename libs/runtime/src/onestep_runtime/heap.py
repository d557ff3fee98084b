"""How a service's cyclic garbage collector runs.

By CPython's default the collector examines the young objects whenever 700 more container
objects are alive than at its last run, and what survives is examined again, with every other
long-lived object, in a full collection. A service's batches keep thousands of decoded records,
events and aggregates alive for a while: by the default most of them reached the oldest
generation, and full collections ran over the whole heap every few seconds, about 100 ms each
in the ledger with the GIL held. The collector took a fifth of the ledger's CPU, a tenth of a
gateway's and of intake's (docs/performance-history.md).

Once a service is built, what it built (modules, schemas, routes, its app) is frozen out of the
collector's sight, and the young generation is examined every `threshold` objects instead of
700: most of a batch's objects are freed by their reference counts before then. Reference
cycles are still collected, later.
"""

from __future__ import annotations

import gc

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class GcSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ONESTEP_GC_")

    threshold: int = Field(
        default=50_000, ge=1, description="net new container objects between runs of the young generation's collection"
    )


def settle(settings: GcSettings | None = None) -> None:
    """Freezes what exists now and sets the young generation's threshold; call it once the
    service is built, before it serves."""
    settings = settings or GcSettings()
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(settings.threshold, older, oldest)
