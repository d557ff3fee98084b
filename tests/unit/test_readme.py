"""The README's configuration table lists every setting a service reads."""

from pathlib import Path

from onestep_gateway.settings import GatewaySettings
from onestep_intake.settings import IntakeSettings
from onestep_ledger.settings import LedgerSettings
from onestep_notify.settings import NotifySettings

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def test_every_environment_variable_is_in_the_readme_table():
    missing = [
        f"{settings.model_config['env_prefix']}{field.upper()}"
        for settings in (IntakeSettings, LedgerSettings, NotifySettings, GatewaySettings)
        for field in settings.model_fields
        if f"`{settings.model_config['env_prefix']}{field.upper()}`" not in README
    ]
    assert not missing, f"document these in README.md: {missing}"


def test_the_readme_starts_with_the_two_commands():
    assert README.index("make up") < README.index("make test") < README.index("## What it is")
