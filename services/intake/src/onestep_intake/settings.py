from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from onestep_runtime.cpu_priority import cpu_nice_field


class IntakeSettings(BaseSettings):
    """intake's configuration, from INTAKE_* environment variables."""

    model_config = SettingsConfigDict(env_prefix="INTAKE_")

    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    catalogue_dir: Path = Path("catalogue")
    materials_dir: Path = Path("var/materials")
    portal_keys: dict[str, str] = Field(default_factory=dict, description='JSON: {"<portal id>": "<API key>"}')
    publish_timeout_s: float = 5.0
    retry_after_s: int = 5
    max_material_bytes: int = 20 * 1024 * 1024
    # An application is a few KB (its materials are references to uploaded files); the cap
    # keeps a body that is not one from being read whole into a process's memory.
    max_json_bytes: int = Field(default=1024 * 1024, gt=0)
    host: str = "127.0.0.1"
    port: int = 8081
    # intake keeps no state between requests (a case's id comes from its portal and key), so
    # its processes can share one socket; one process takes one core at most.
    workers: int = Field(default=1, ge=1, description="processes answering on the port")
    # On cores shared with the services behind it, the case work goes first and a burst waits
    # in Kafka (onestep_runtime.cpu_priority).
    cpu_nice: int = cpu_nice_field(10, "a third of the gateways' and notify's weight, a ninth of the ledger's")
