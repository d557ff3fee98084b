from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


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
    calendar_file: Path = Field(
        default=Path("catalogue/calendar.yaml"), description="working days and holidays due times count on"
    )
    host: str = "127.0.0.1"
    port: int = 8082
