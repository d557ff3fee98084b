from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class GatewaySettings(BaseSettings):
    """department-gateway's configuration, from GATEWAY_* environment variables.

    Its task record is chosen by the eventsourcing library's own variables, as the ledger's:
    PERSISTENCE_MODULE (eventsourcing.sqlite or eventsourcing.postgres), SQLITE_DBNAME,
    POSTGRES_DBNAME, POSTGRES_HOST, ... and CIPHER_KEY (tasks hold the applicant's form).
    """

    model_config = SettingsConfigDict(env_prefix="GATEWAY_")

    department: str
    consumer_group: str = ""
    adapter: str = "rules"
    departments_dir: Path = Path("deploy/departments")
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    max_batch: int = 500
    dispatch_retry_s: float = Field(
        default=1.0, gt=0, description="first wait before handing tasks to a failing adapter again (doubles to 30 s)"
    )
    officer_keys: dict[str, str] = Field(
        default_factory=dict, description='JSON: {"<officer id>": "<API key>"}, for the review desk'
    )
    host: str = "127.0.0.1"
    port: int = 8090

    @property
    def group_id(self) -> str:
        """Kafka consumer group: one per department, shared by all its gateway instances."""
        return self.consumer_group or f"department-gateway.{self.department}"

    @property
    def department_config(self) -> Path:
        return self.departments_dir / f"{self.department}.yaml"
