"""A throwaway PostgreSQL cluster (Debian's `postgresql` package) for tests and benchmarks.

PostgreSQL refuses to run as root, and CI runs as root: there the cluster is run as the
`postgres` system user that the Debian package creates.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import time
from pathlib import Path


class PostgresError(RuntimeError):
    pass


def _bindir() -> Path:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name))
    if not candidates:
        raise PostgresError("PostgreSQL server binaries not found; install Debian's 'postgresql' package")
    return Path(candidates[-1])


class PostgresCluster:
    def __init__(self, home: Path, *, port: int, user: str = "onestep", password: str = "onestep"):
        self.home = home
        self.port = port
        self.user = user
        self.password = password
        self._as_root = os.geteuid() == 0
        self._bin = _bindir()

    @property
    def datadir(self) -> Path:
        return self.home / "data"

    def _run(self, *args: str, **kwargs) -> subprocess.CompletedProcess:
        command = list(args)
        if self._as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, check=True, capture_output=True, text=True, **kwargs)

    def start(self) -> None:
        """Creates the cluster if it has none, and starts it unless it runs already."""
        if self.running:
            return
        self.home.mkdir(parents=True, exist_ok=True)
        if self._as_root:
            shutil.chown(self.home, "postgres", "postgres")
        if not (self.datadir / "PG_VERSION").exists():
            password_file = self.home / "pw"
            password_file.write_text(self.password)
            if self._as_root:
                shutil.chown(password_file, "postgres", "postgres")
            self._run(
                str(self._bin / "initdb"),
                "-D",
                str(self.datadir),
                "-U",
                self.user,
                f"--pwfile={password_file}",
                "-A",
                "scram-sha-256",
                "--no-sync",
                "-E",
                "UTF8",
            )
        options = f"-p {self.port} -k {self.home} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        self._run(
            str(self._bin / "pg_ctl"),
            "-D",
            str(self.datadir),
            "-o",
            options,
            "-l",
            str(self.home / "log"),
            "-w",
            "start",
        )

    def create_database(self, name: str) -> None:
        env = {**os.environ, "PGPASSWORD": self.password}
        subprocess.run(
            [
                "psql",
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                self.user,
                "-d",
                "postgres",
                "-c",
                f'CREATE DATABASE "{name}"',
            ],
            check=True,
            capture_output=True,
            env=env,
        )

    @property
    def running(self) -> bool:
        return (self.datadir / "postmaster.pid").exists()

    @property
    def pid(self) -> int:
        """The postmaster's process id (the first line of its pid file)."""
        return int((self.datadir / "postmaster.pid").read_text().split()[0])

    def eventsourcing_env(self, dbname: str) -> dict[str, str]:
        """The eventsourcing library's variables for a database of this cluster."""
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": dbname,
            "POSTGRES_HOST": "127.0.0.1",
            "POSTGRES_PORT": str(self.port),
            "POSTGRES_USER": self.user,
            "POSTGRES_PASSWORD": self.password,
        }

    def stop(self) -> None:
        if self.running:
            try:
                self._run(str(self._bin / "pg_ctl"), "-D", str(self.datadir), "-m", "fast", "-w", "stop")
            except subprocess.CalledProcessError:
                time.sleep(1)
