"""`make up`: the whole system on this machine, without Docker.

Writes a Procfile and an env file under var/ and runs them with honcho (a Procfile
runner): the Kafka broker, intake, case-ledger, notify, one department gateway per
department of the catalogue, and a development webhook sink. Ctrl-C stops them all.

Every department decides by its rules except fire rescue, which runs as a department with its
own system would: its gateway uses the `http` adapter, and the reference department system
(onestep_local.department_system) reviews each task for a few seconds and calls back.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

from onestep_contracts.catalogue import load_catalogue

from .kafka_broker import REPO
from .samples import restaurant

DEV_PORTAL = "dev-portal"
DEV_KEY = "dev-portal-key-change-me"
DEV_WEBHOOK_SECRET = "dev-webhook-secret-change-me"
DEV_CIPHER_KEY = "Gd7yJ1m1c0cVx3qS2cBz5m0T8bYc2r1yq7Zt1xg2b3E="  # development only; set your own in production
KAFKA = "127.0.0.1:9092"
PORTS = {"intake": 8081, "ledger": 8082, "notify": 8083, "webhook": 8089, "department-system": 8110}
FIRST_GATEWAY_PORT = 8090
OWN_SYSTEM_DEPARTMENT = "fire-rescue"
DEV_DEPARTMENT_SECRET = "dev-department-secret-change-me"
OWN_SYSTEM_DELAY_S = 3.0
SAMPLE_MATERIALS = ["applicant-identity", "premises-proof", "food-safety-plan"]


def sample_material(code: str) -> bytes:
    return f"sample {code}\n".encode()


def environment(var: Path) -> dict[str, str]:
    keys = json.dumps({DEV_PORTAL: DEV_KEY})
    return {
        "PYTHONUNBUFFERED": "1",
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "CIPHER_KEY": DEV_CIPHER_KEY,
        "INTAKE_KAFKA_BOOTSTRAP_SERVERS": KAFKA,
        "INTAKE_PORTAL_KEYS": keys,
        "INTAKE_MATERIALS_DIR": str(var / "materials"),
        "INTAKE_PORT": str(PORTS["intake"]),
        "LEDGER_KAFKA_BOOTSTRAP_SERVERS": KAFKA,
        "LEDGER_PORTAL_KEYS": keys,
        "LEDGER_PORT": str(PORTS["ledger"]),
        "NOTIFY_KAFKA_BOOTSTRAP_SERVERS": KAFKA,
        "NOTIFY_PORTAL_KEYS": keys,
        "NOTIFY_PORT": str(PORTS["notify"]),
        "NOTIFY_PORTAL_WEBHOOKS": json.dumps(
            {DEV_PORTAL: {"url": f"http://127.0.0.1:{PORTS['webhook']}/onestep", "secret": DEV_WEBHOOK_SECRET}}
        ),
        "GATEWAY_KAFKA_BOOTSTRAP_SERVERS": KAFKA,
    }


def procfile(var: Path, departments: list[str]) -> str:
    wait = "onestep-kafka wait &&"
    lines = [
        f"kafka: onestep-kafka run --home {var / 'kafka'} --port 9092 --controller-port 9093",
        f"intake: {wait} onestep-intake",
        f"ledger: {wait} env SQLITE_DBNAME={var / 'ledger.sqlite'} onestep-case-ledger",
        f"notify: {wait} env SQLITE_DBNAME={var / 'notify.sqlite'} onestep-notify",
        f"webhook: python -m onestep_local.webhook_sink --port {PORTS['webhook']} --secret {DEV_WEBHOOK_SECRET}",
    ]
    for offset, department in enumerate(departments):
        port = FIRST_GATEWAY_PORT + offset
        adapter = own_system_adapter(port) if department == OWN_SYSTEM_DEPARTMENT else ""
        lines.append(
            f"{department}: {wait} env GATEWAY_DEPARTMENT={department} GATEWAY_PORT={port}{adapter}"
            f" SQLITE_DBNAME={var / f'gateway-{department}.sqlite'} onestep-department-gateway"
        )
    if OWN_SYSTEM_DEPARTMENT in departments:
        lines.append(
            f"department-system: python -m onestep_local.department_system --port {PORTS['department-system']}"
            f" --secret {DEV_DEPARTMENT_SECRET} --delay-s {OWN_SYSTEM_DELAY_S}"
        )
    return "\n".join(lines) + "\n"


def own_system_adapter(gateway_port: int) -> str:
    """The gateway settings of a department reached through its own system (signed HTTP,
    callbacks, and its status URL asked each minute for decisions whose callbacks were lost)."""
    tasks = f"http://127.0.0.1:{PORTS['department-system']}/tasks"
    return (
        f" GATEWAY_ADAPTER=http GATEWAY_HTTP_URL={tasks} GATEWAY_HTTP_STATUS_URL={tasks}/{{task_id}}"
        f" GATEWAY_HTTP_POLL_INTERVAL_S=60 GATEWAY_HTTP_SECRET={DEV_DEPARTMENT_SECRET}"
        f" GATEWAY_HTTP_CALLBACK_BASE_URL=http://127.0.0.1:{gateway_port}"
    )


def welcome(departments: list[str]) -> str:
    intake = f"http://127.0.0.1:{PORTS['intake']}"
    uploads = " ".join(SAMPLE_MATERIALS)
    materials = [
        {"code": code, "sha256": hashlib.sha256(sample_material(code)).hexdigest()} for code in SAMPLE_MATERIALS
    ]
    application = restaurant(materials)
    gateways = "\n".join(
        f"  gateway {d:<18} http://127.0.0.1:{FIRST_GATEWAY_PORT + i}/docs" for i, d in enumerate(departments)
    )
    return f"""
onestep is starting (Ctrl-C stops everything).
  intake        {intake}/docs
  case-ledger   http://127.0.0.1:{PORTS["ledger"]}/docs
  notify        http://127.0.0.1:{PORTS["notify"]}/docs
{gateways}
  {OWN_SYSTEM_DEPARTMENT}'s own system (reference) http://127.0.0.1:{PORTS["department-system"]}/control
  Kafka         {KAFKA}
Development portal key: {DEV_KEY}   (webhook notifications print as 'webhook: ...')

File a real application (paste once the services say they are up):
  for m in {uploads}; do printf 'sample %s\\n' $m > /tmp/$m.pdf; \\
    curl -s -H 'Authorization: Bearer {DEV_KEY}' -F file=@/tmp/$m.pdf {intake}/v1/materials; echo; done
  curl -s -X POST {intake}/v1/applications -H 'Authorization: Bearer {DEV_KEY}' \\
    -H 'Content-Type: application/json' -H "Idempotency-Key: $(date +%s%N)" \\
    -d '{json.dumps(application, ensure_ascii=False)}'
Then: curl -s -H 'Authorization: Bearer {DEV_KEY}' http://127.0.0.1:{PORTS["ledger"]}/v1/cases/<case_id>
"""


def main() -> None:
    var = REPO / "var"
    var.mkdir(exist_ok=True)
    departments = sorted(load_catalogue(REPO / "catalogue").departments)
    (var / "Procfile").write_text(procfile(var, departments))
    (var / "onestep.env").write_text("".join(f"{k}='{v}'\n" for k, v in environment(var).items()))
    print(welcome(departments), flush=True)
    bin_dir = Path(sys.executable).parent
    os.environ["PATH"] = f"{bin_dir}:{os.environ['PATH']}"
    os.chdir(REPO)
    os.execv(
        str(bin_dir / "honcho"),
        ["honcho", "start", "-f", str(var / "Procfile"), "-e", str(var / "onestep.env"), "-d", str(REPO)],
    )


if __name__ == "__main__":
    main()
