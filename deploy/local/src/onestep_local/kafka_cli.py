"""`onestep-kafka run` starts the local broker in the foreground (for a Procfile);
`onestep-kafka wait` blocks until the broker answers and onestep's topics exist."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import time
from pathlib import Path

from .kafka_broker import KafkaBroker, topics_exist


def run(home: Path, port: int, controller_port: int, partitions: int) -> int:
    broker = KafkaBroker(home, port=port, controller_port=controller_port)
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    broker.start(stdout=sys.stdout.buffer)
    broker.create_topics(partitions)
    print(f"Kafka ready on {broker.bootstrap_servers}; topics created with {partitions} partitions", flush=True)
    while not stopping and broker.process.poll() is None:
        time.sleep(0.5)
    broker.stop()
    return broker.process.returncode or 0


def wait(bootstrap_servers: str, timeout_s: float) -> int:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if asyncio.run(topics_exist(bootstrap_servers)):
                return 0
        except Exception:  # not up yet
            pass
        time.sleep(1)
    print(f"Kafka at {bootstrap_servers} did not come up within {timeout_s}s", file=sys.stderr)
    return 1


def main() -> None:
    parser = argparse.ArgumentParser(prog="onestep-kafka")
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="run a single-node KRaft broker in the foreground")
    run_parser.add_argument("--home", type=Path, default=Path("var/kafka"))
    run_parser.add_argument("--port", type=int, default=9092)
    run_parser.add_argument("--controller-port", type=int, default=9093)
    run_parser.add_argument(
        "--partitions",
        type=int,
        default=int(os.environ.get("ONESTEP_TOPIC_PARTITIONS", "6")),
        help="partitions of each onestep topic (env ONESTEP_TOPIC_PARTITIONS)",
    )
    wait_parser = commands.add_parser("wait", help="wait until the broker answers and the topics exist")
    wait_parser.add_argument("--bootstrap-servers", default="127.0.0.1:9092")
    wait_parser.add_argument("--timeout", type=float, default=120)
    args = parser.parse_args()
    if args.command == "run":
        sys.exit(run(args.home, args.port, args.controller_port, args.partitions))
    sys.exit(wait(args.bootstrap_servers, args.timeout))


if __name__ == "__main__":
    main()
