from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from onestep_runtime.consumer import fetch_max_wait_field
from onestep_runtime.cpu_priority import cpu_nice_field


class Webhook(BaseModel):
    url: str
    secret: str
    batch: int = Field(
        default=0,
        ge=0,
        le=1000,
        description="0: one structured CloudEvent per POST; N: CloudEvents' batched mode, up to N events per POST",
    )


class NotifySettings(BaseSettings):
    """notify's configuration, from NOTIFY_* environment variables (store: as case-ledger's,
    the eventsourcing library's PERSISTENCE_MODULE / SQLITE_DBNAME / POSTGRES_* / CIPHER_KEY)."""

    model_config = SettingsConfigDict(env_prefix="NOTIFY_")

    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    consumer_group: str = "notify"
    portal_keys: dict[str, str] = Field(default_factory=dict, description='JSON: {"<portal id>": "<API key>"}')
    portal_webhooks: dict[str, Webhook] = Field(
        default_factory=dict, description='JSON: {"<portal id>": {"url": "...", "secret": "...", "batch": 0}}'
    )
    max_attempts: int = 6
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 30.0
    request_timeout_s: float = 5.0
    failing_retry_s: float = Field(
        default=30.0,
        ge=0,
        description="while a portal's webhook fails every attempt: one POST tried this often, its other deliveries"
        " parked at once and sent again once it takes a POST; 0: each POST tried once",
    )
    concurrent_deliveries: int = Field(
        default=16, ge=1, description="webhook POSTs in flight at once (a connection each, kept open)"
    )
    max_batch: int = 500
    fetch_max_wait_ms: int = fetch_max_wait_field(
        250, "off a case's way to approval: a portal hears of each event up to this much later, for fewer polls"
    )
    cpu_nice: int = cpu_nice_field(5, "the ledger, which makes the case events notify delivers, goes first")
    host: str = "127.0.0.1"
    port: int = 8083
