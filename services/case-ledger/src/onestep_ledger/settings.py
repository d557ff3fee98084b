from datetime import timedelta
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from onestep_runtime.consumer import FETCH_MAX_WAIT_MS, fetch_max_wait_field
from onestep_runtime.cpu_priority import cpu_nice_field


class LedgerSettings(BaseSettings):
    """case-ledger's configuration, from LEDGER_* environment variables.

    The store is chosen by the eventsourcing library's own variables: PERSISTENCE_MODULE
    (eventsourcing.sqlite or eventsourcing.postgres), SQLITE_DBNAME, POSTGRES_DBNAME,
    POSTGRES_HOST, POSTGRES_PORT, POSTGRES_USER, POSTGRES_PASSWORD, and CIPHER_KEY to encrypt
    stored events (they hold personal data).
    """

    model_config = SettingsConfigDict(env_prefix="LEDGER_")

    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    consumer_group: str = "case-ledger"
    portal_keys: dict[str, str] = Field(default_factory=dict, description='JSON: {"<portal id>": "<API key>"}')
    max_batch: int = 500
    fetch_max_wait_ms: int = fetch_max_wait_field(
        FETCH_MAX_WAIT_MS, "a case waits for it on its way to approval, at its decisions"
    )
    cpu_nice: int = cpu_nice_field(0, "a case's first and last step: the services beside it yield to it")
    time_skew_ms: int = Field(
        default=250,
        ge=0,
        description="how far ahead, by record time, a partition of its topics may read of the furthest "
        "behind that has records waiting (a case's decisions then come soon after its application, "
        "even under a backlog); 0 reads each partition as fast as it comes",
    )
    calendar_file: Path = Field(
        default=Path("catalogue/calendar.yaml"), description="working days and holidays due times count on"
    )
    reminder_lead_days: float = Field(
        default=1.0, gt=0, description="working days before a task is due that its yellow reminder goes out"
    )
    supplement_window: timedelta = Field(
        default=timedelta(minutes=30),
        description="how long a supplement request waits for other departments to join it in one notice",
    )
    routing_window: timedelta = Field(
        default=timedelta(minutes=10),
        description="how long an open task may wait for a department's gateway to accept it before "
        "the case reports it unroutable (no gateway serves its region, or they are all down)",
    )
    sweep_interval_s: float = Field(default=5.0, gt=0, description="how often the watcher looks for due timers")
    host: str = "127.0.0.1"
    port: int = 8082
