from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from onestep_runtime.consumer import fetch_max_wait_field
from onestep_runtime.cpu_priority import cpu_nice_field


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
    regions: list[str] = Field(
        default_factory=list,
        description='JSON list of GB/T 2260 prefixes this gateway serves, e.g. ["4301"]; empty: every region',
    )
    departments_dir: Path = Path("deploy/departments")
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    max_batch: int = 500
    fetch_max_wait_ms: int = fetch_max_wait_field(
        100, "a case waits for it once on its way to approval; flat out, fuller polls cost less CPU a case"
    )
    cpu_nice: int = cpu_nice_field(5, "the ledger, a case's first and last step, goes first")
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
        """Kafka consumer group: one per department and set of regions, shared by the instances
        of that gateway (a gateway for another city reads every task too, and keeps its own)."""
        regions = f".{'-'.join(self.regions)}" if self.regions else ""
        return self.consumer_group or f"department-gateway.{self.department}{regions}"

    @property
    def department_config(self) -> Path:
        return self.departments_dir / f"{self.department}.yaml"
