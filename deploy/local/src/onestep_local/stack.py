"""The four services (and one gateway per department) as real processes on a real broker,
each on a free port with its log in a folder: what the end-to-end and reliability tests run
and break, and what the benchmark loads. (`make up` runs the same services under honcho.)"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from .kafka_broker import REPO, KafkaBroker, free_port

DEPARTMENTS = ("market-regulation", "fire-rescue", "urban-management")
PORTAL = "local-portal"
PORTAL_KEY = "local-portal-key-0123456789"
WEBHOOK_SECRET = "local-webhook-secret"
MALLOC = {"MALLOC_ARENA_MAX": "2", "MALLOC_MMAP_THRESHOLD_": "131072", "MALLOC_TRIM_THRESHOLD_": "262144"}
CIPHER_KEY = "4hOI4gsS2PsZh8E6GZdOzlAXjZcK3DyX6ZB9aTGBTdk="  # local-only AES key (base64, 32 bytes)


class Service:
    def __init__(self, name: str, module: str, port: int, env: dict[str, str], logs: Path, args: list[str] = ()):
        self.name, self.module, self.port, self.env, self.args = name, module, port, env, list(args)
        self.log_path = logs / f"{name}.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        log = open(self.log_path, "ab")  # noqa: SIM115 (kept open for the child)
        self.process = subprocess.Popen(
            [sys.executable, "-m", self.module, *self.args],
            cwd=REPO,
            env={**os.environ, **self.env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a group of its own: a crash takes its workers too (kill)
        )

    def wait_ready(self, timeout_s: float = 60.0) -> None:
        deadline = time.monotonic() + timeout_s
        last = ""
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.log_path.read_text()[-3000:]}")
            try:
                response = httpx.get(f"{self.url}/readyz", timeout=2)
                if response.status_code == 200:
                    return
                last = response.text
            except httpx.HTTPError as exc:
                last = repr(exc)
            time.sleep(0.3)
        raise RuntimeError(f"{self.name} not ready: {last}\n{self.log_path.read_text()[-3000:]}")

    def stop(self, grace_s: float = 30.0) -> bool:
        """SIGTERM, as an orchestrator stops a container; True when the process drained and
        exited cleanly by itself within `grace_s`, False when it had to be killed."""
        if not self.process or self.process.poll() is not None:
            return True
        self.process.send_signal(signal.SIGTERM)
        try:
            # uvicorn, once shut down gracefully, ends by the same signal so its parent sees why
            return self.process.wait(grace_s) in (0, -signal.SIGTERM)
        except subprocess.TimeoutExpired:
            self.kill()
            return False

    def kill(self) -> None:
        """SIGKILL to the process and any workers it runs: they die mid-work, as in a crash (of
        a container, whose processes all end with it)."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


class System:
    def __init__(
        self,
        kafka: KafkaBroker,
        home: Path,
        *,
        webhook_url: str,
        run_id: str,
        webhook_batch: int = 0,
        departments: tuple[str, ...] = DEPARTMENTS,
        intake_workers: int = 1,
    ):
        home.mkdir(parents=True, exist_ok=True)
        self.home = home
        self.run_id = run_id
        keys = json.dumps({PORTAL: PORTAL_KEY})
        store = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "CIPHER_KEY": CIPHER_KEY}
        self.services = {
            "intake": Service(
                "intake",
                "onestep_intake.entrypoints.main",
                free_port(),
                {
                    "INTAKE_KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
                    "INTAKE_PORTAL_KEYS": keys,
                    "INTAKE_MATERIALS_DIR": str(home / "materials"),
                    "INTAKE_WORKERS": str(intake_workers),
                },
                home,
            ),
            "ledger": Service(
                "ledger",
                "onestep_ledger.entrypoints.main",
                free_port(),
                {
                    **store,
                    "SQLITE_DBNAME": str(home / "ledger.sqlite"),
                    "LEDGER_KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
                    "LEDGER_PORTAL_KEYS": keys,
                    "LEDGER_CONSUMER_GROUP": f"case-ledger.{run_id}",
                },
                home,
            ),
            "notify": Service(
                "notify",
                "onestep_notify.entrypoints.main",
                free_port(),
                {
                    **store,
                    "SQLITE_DBNAME": str(home / "notify.sqlite"),
                    "NOTIFY_KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
                    "NOTIFY_PORTAL_KEYS": keys,
                    "NOTIFY_CONSUMER_GROUP": f"notify.{run_id}",
                    "NOTIFY_BACKOFF_INITIAL_S": "0.1",
                    "NOTIFY_PORTAL_WEBHOOKS": json.dumps(
                        {PORTAL: {"url": webhook_url, "secret": WEBHOOK_SECRET, "batch": webhook_batch}}
                    ),
                },
                home,
            ),
        }
        for department in departments:
            self.services[department] = Service(
                department,
                "onestep_gateway.entrypoints.main",
                free_port(),
                {
                    **store,
                    "SQLITE_DBNAME": str(home / f"gateway-{department}.sqlite"),
                    "GATEWAY_DEPARTMENT": department,
                    "GATEWAY_KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
                    "GATEWAY_CONSUMER_GROUP": f"department-gateway.{department}.{run_id}",
                },
                home,
            )
        prefixes = {"intake": "INTAKE", "ledger": "LEDGER", "notify": "NOTIFY"}
        for name, service in self.services.items():
            service.env[f"{prefixes.get(name, 'GATEWAY')}_PORT"] = str(service.port)
            for variable, value in MALLOC.items():  # as the images set it (see a Dockerfile)
                service.env.setdefault(variable, value)

    def __getitem__(self, name: str) -> Service:
        return self.services[name]

    def through_own_system(self, department: str, secret: str, **http_settings: str) -> Service:
        """The department's gateway hands its tasks to the reference department system (the
        `http` adapter, signed callbacks), run as one more process; `http_settings` are
        GATEWAY_HTTP_* values (ATTEMPTS="2", TIMEOUT_S="1", ...)."""
        own = self.add(Service("department-system", "onestep_local.department_system", free_port(), {}, self.home))
        own.args = ["--port", str(own.port), "--secret", secret, "--delay-s", "1"]
        gateway = self.services[department]
        gateway.env.update(
            GATEWAY_ADAPTER="http",
            GATEWAY_HTTP_URL=f"{own.url}/tasks",
            GATEWAY_HTTP_SECRET=secret,
            GATEWAY_HTTP_CALLBACK_BASE_URL=gateway.url,
            GATEWAY_HTTP_STATUS_URL=f"{own.url}/tasks/{{task_id}}",
            GATEWAY_HTTP_POLL_INTERVAL_S="5",
            GATEWAY_HTTP_BACKOFF_S="0.1",
            GATEWAY_DISPATCH_RETRY_S="0.3",
            **{f"GATEWAY_HTTP_{name.upper()}": value for name, value in http_settings.items()},
        )
        return own

    def on_postgres(self, cluster, *names: str) -> System:
        """Moves the named services' stores to databases of their own in the cluster."""
        for name in names:
            database = f"{name}_{self.run_id}".replace("-", "_")
            cluster.create_database(database)
            env = self.services[name].env
            env.pop("SQLITE_DBNAME", None)
            env.update(cluster.eventsourcing_env(database))
        return self

    def add(self, service: Service) -> Service:
        """Another process to run with the system (a department's own system, say)."""
        self.services[service.name] = service
        return service

    def start(self) -> System:
        for service in self.services.values():
            service.start()
        for service in self.services.values():
            service.wait_ready()
        return self

    def stop(self) -> None:
        for service in self.services.values():
            service.stop()
