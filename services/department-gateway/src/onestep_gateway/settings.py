from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class GatewaySettings(BaseSettings):
    """department-gateway's configuration, from GATEWAY_* environment variables."""

    model_config = SettingsConfigDict(env_prefix="GATEWAY_")

    department: str
    consumer_group: str = ""
    adapter: str = "rules"
    departments_dir: Path = Path("deploy/departments")
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    max_batch: int = 500
    host: str = "127.0.0.1"
    port: int = 8090

    @property
    def group_id(self) -> str:
        """Kafka consumer group: one per department, shared by all its gateway instances."""
        return self.consumer_group or f"department-gateway.{self.department}"

    @property
    def department_config(self) -> Path:
        return self.departments_dir / f"{self.department}.yaml"
