"""The container files, checked without a Docker engine: what they name must exist."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import yaml

from onestep_contracts import topics
from onestep_contracts.catalogue import load_catalogue
from onestep_gateway.settings import GatewaySettings
from onestep_intake.settings import IntakeSettings
from onestep_ledger.settings import LedgerSettings
from onestep_notify.settings import NotifySettings

REPO = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((REPO / "deploy/docker-compose.yml").read_text())
SETTINGS = {
    "INTAKE_": IntakeSettings,
    "LEDGER_": LedgerSettings,
    "NOTIFY_": NotifySettings,
    "GATEWAY_": GatewaySettings,
}
DOCKERFILES = sorted(REPO.glob("services/*/Dockerfile"))


def test_every_built_image_has_its_dockerfile_and_every_dependency_is_a_service():
    for name, service in COMPOSE["services"].items():
        if "build" in service:
            assert (REPO / service["build"]["dockerfile"]).is_file(), name
        for dependency in service.get("depends_on", {}):
            assert dependency in COMPOSE["services"], f"{name} depends on unknown {dependency}"


def test_compose_creates_every_topic_the_services_use():
    """The broker creates no topic on its own (nor does the local one): a topic left out of
    compose's list would stop the services that read or write it."""
    command = "\n".join(COMPOSE["services"]["kafka-topics"]["command"])
    (listed,) = re.findall(r"for topic in ([^;]+);", command)
    assert sorted(listed.split()) == sorted(topics.ALL)


def test_every_service_variable_in_compose_is_a_setting_the_service_reads():
    for name, service in COMPOSE["services"].items():
        for variable in service.get("environment", {}):
            for prefix, settings in SETTINGS.items():
                if variable.startswith(prefix):
                    field = variable.removeprefix(prefix).lower()
                    assert field in settings.model_fields, f"{name}: {variable} is not a {settings.__name__} field"


IMAGE_SETTINGS = {
    "onestep/intake": IntakeSettings,
    "onestep/case-ledger": LedgerSettings,
    "onestep/notify": NotifySettings,
    "onestep/department-gateway": GatewaySettings,
}


def test_each_container_weighs_on_the_cpu_as_its_service_yields_outside_containers():
    """In containers a service's nice value weighs only against its own processes; the cgroup's
    weight (`cpu_shares`, 1024 unless given) is what orders the services, as the nice values of
    their sessions do on one machine: each step of nice is a factor of 1.25 in Linux's weights."""
    for name, service in COMPOSE["services"].items():
        settings = IMAGE_SETTINGS.get(service.get("image"))
        if settings is None:
            continue
        nice = settings.model_fields["cpu_nice"].default
        assert service.get("cpu_shares", 1024) == pytest.approx(1024 / 1.25**nice, rel=0.05), name


def test_every_catalogue_department_has_a_gateway_and_a_rules_config():
    departments = load_catalogue(REPO / "catalogue").departments
    served = {
        s["environment"]["GATEWAY_DEPARTMENT"]
        for s in COMPOSE["services"].values()
        if "GATEWAY_DEPARTMENT" in s.get("environment", {})
    }
    assert served == set(departments)
    databases = set(re.findall(r"CREATE DATABASE (\w+);", (REPO / "deploy/postgres/init.sql").read_text()))
    for department in departments:
        assert (REPO / "deploy/departments" / f"{department}.yaml").is_file()
    for name, service in COMPOSE["services"].items():
        if "GATEWAY_DEPARTMENT" in service.get("environment", {}):
            assert service["environment"]["POSTGRES_DBNAME"] in databases, f"{name}: its task record has no database"


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda path: path.parent.name)
def test_a_dockerfile_copies_only_what_exists_and_runs_a_declared_command(dockerfile: Path):
    text = dockerfile.read_text()
    for source in re.findall(r"^COPY (\S+) ", text, flags=re.MULTILINE):
        assert (REPO / source).exists(), f"{dockerfile}: COPY {source}"
    [command] = re.findall(r'^CMD \["([^"]+)"\]', text, flags=re.MULTILINE)
    scripts = tomllib.loads((dockerfile.parent / "pyproject.toml").read_text())["project"]["scripts"]
    assert command in scripts
    [port] = re.findall(r"^EXPOSE (\d+)", text, flags=re.MULTILINE)
    prefix = re.search(r"^ENV (\w+)_HOST=", text, flags=re.MULTILINE).group(1) + "_"
    assert SETTINGS[prefix].model_fields["port"].default == int(port)


def test_every_process_of_make_up_listens_on_a_port_of_its_own():
    from onestep_local.up import environment, procfile

    var = Path("/tmp/onestep-var")
    departments = sorted(load_catalogue(REPO / "catalogue").departments)
    text = procfile(var, departments) + " ".join(f"{k}={v}" for k, v in environment(var).items())
    ports = re.findall(r"(?:PORT=|--port )(\d+)", text)
    assert len(ports) == len(set(ports)), sorted(ports)
    assert len(ports) >= len(departments) + 4  # intake, ledger, notify, the webhook sink, the gateways


def test_the_worked_signature_in_the_integrators_guide_is_right():
    from onestep_contracts.signing import sign

    guide = (REPO / "docs/departments.md").read_text()
    secret = re.search(r"With the secret `([^`]+)`", guide)[1]
    stamp = int(re.search(r"the timestamp `(\d+)`", guide)[1])
    body = re.search(r"and the body\n\n```\n(.+)\n```", guide)[1].encode()
    header = re.search(r"Onestep-Signature: (t=\d+,v1=[0-9a-f]+)", guide)[1]
    assert sign(secret, body, timestamp=stamp) == header
