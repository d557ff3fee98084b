"""Each service's consumer asks the broker to hold its fetches for the wait its own settings
give: the ledger's and the gateways' short (a case waits for them on its way to approval),
notify's long (off that way). Read from the environment, as a deployment sets it."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from onestep_gateway.bootstrap import bootstrap as gateway_bootstrap
from onestep_gateway.settings import GatewaySettings
from onestep_ledger.bootstrap import bootstrap as ledger_bootstrap
from onestep_ledger.settings import LedgerSettings
from onestep_notify.bootstrap import bootstrap as notify_bootstrap
from onestep_notify.settings import NotifySettings
from onestep_runtime.consumer import TopicConsumer

SERVICES = {
    "LEDGER_": (LedgerSettings, ledger_bootstrap, {}),
    "GATEWAY_": (GatewaySettings, gateway_bootstrap, {"GATEWAY_DEPARTMENT": "fire-rescue"}),
    "NOTIFY_": (NotifySettings, notify_bootstrap, {}),
}


def kafka_consumer_wait(consumer: TopicConsumer) -> int:
    """What the Kafka client the consume loop opens asks the broker for."""
    return consumer._new_consumer()._fetch_max_wait_ms


@pytest.mark.parametrize("prefix", SERVICES)
def test_a_services_fetch_wait_is_its_own_setting(prefix, kafka, tmp_path, monkeypatch):
    settings_class, bootstrap, required = SERVICES[prefix]
    for name, value in required.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv(f"{prefix}KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrap_servers)
    env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(tmp_path / f"{uuid.uuid4().hex}.db")}

    async def waits(wait: str | None) -> int:
        if wait is None:
            monkeypatch.delenv(f"{prefix}FETCH_MAX_WAIT_MS", raising=False)
        else:
            monkeypatch.setenv(f"{prefix}FETCH_MAX_WAIT_MS", wait)
        service = bootstrap(settings_class(), env=env)
        try:
            assert service.consumer.fetch_max_wait_ms == kafka_consumer_wait(service.consumer)
            return service.consumer.fetch_max_wait_ms
        finally:
            await service.producer.stop()

    async def scenario() -> None:
        default = await waits(None)
        assert default == settings_class.model_fields["fetch_max_wait_ms"].default
        assert await waits("321") == 321

    asyncio.run(scenario())


def test_notify_off_a_cases_way_to_approval_waits_longest():
    """A case waits for the ledger and a gateway on its way to approval, never for notify: its
    polls are the fullest, where that costs a case nothing."""
    wait = {prefix: settings.model_fields["fetch_max_wait_ms"].default for prefix, (settings, *_) in SERVICES.items()}
    assert wait["NOTIFY_"] > max(wait["LEDGER_"], wait["GATEWAY_"])
