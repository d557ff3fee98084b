"""The reliability tests run the whole system as real processes, like the e2e tests, and
break it: kills, restarts, a broker outage, failing department systems, bad messages."""

from ..e2e.conftest import portal, system, webhook  # noqa: F401 (fixtures)
