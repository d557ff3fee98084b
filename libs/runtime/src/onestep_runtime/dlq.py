"""`onestep-dlq`: what is in the dead-letter topic, and re-driving it once the cause is fixed.

    onestep-dlq list   [--service case-ledger] [--topic onestep.applications] [--json]  (a record once)
    onestep-dlq replay [--service ...] [--topic ...] [--letter 0:17 ...] [--dry-run]

A dead letter keeps the original record (key, value, headers) and says why, which service
parked it, and where it came from (`dlq_*` headers). `list` prints those facts only, never
the value: it holds the applicant's personal data.

`replay` publishes each selected record again, as it was, to its source topic (with a
`dlq_replayed_from` header). Every consumer of that topic sees it again; those that had
applied it drop it by its event id, so replaying twice, or a record several services
dead-lettered, applies it once. A record that still cannot be handled is dead-lettered again.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Iterable
from dataclasses import asdict, dataclass

from aiokafka.structs import ConsumerRecord

from onestep_contracts import topics

from .kafka import make_producer, read_to_end

REPLAYED_FROM = "dlq_replayed_from"


@dataclass(frozen=True)
class DeadLetter:
    letter: str  # "<partition>:<offset>" in the dead-letter topic
    service: str
    reason: str
    topic: str
    partition: int
    offset: int
    event_type: str
    event_id: str
    parked_at_ms: int

    @property
    def source(self) -> tuple[str, int, int]:
        return self.topic, self.partition, self.offset


def _headers(record: ConsumerRecord) -> dict[str, str]:
    return {key: value.decode(errors="replace") for key, value in record.headers or ()}


def dead_letter(record: ConsumerRecord) -> DeadLetter:
    headers = _headers(record)
    return DeadLetter(
        letter=f"{record.partition}:{record.offset}",
        service=headers.get("dlq_service", "?"),
        reason=headers.get("dlq_reason", ""),
        topic=headers.get("dlq_topic", ""),
        partition=int(headers.get("dlq_partition", "-1")),
        offset=int(headers.get("dlq_offset", "-1")),
        event_type=headers.get("ce_type", ""),
        event_id=headers.get("ce_id", ""),
        parked_at_ms=record.timestamp,
    )


async def read_dead_letters(bootstrap_servers: str) -> list[ConsumerRecord]:
    """Every dead letter up to the topic's end when asked, oldest first."""
    records = await read_to_end(bootstrap_servers, topics.DEAD_LETTERS)
    return sorted(records, key=lambda r: (r.timestamp, r.partition, r.offset))


def select(
    records: Iterable[ConsumerRecord], *, service: str | None, topic: str | None, letters: list[str]
) -> list[ConsumerRecord]:
    chosen = []
    for record in records:
        letter = dead_letter(record)
        if service and letter.service != service:
            continue
        if topic and letter.topic != topic:
            continue
        if letters and letter.letter not in letters:
            continue
        chosen.append(record)
    return chosen


async def replay(bootstrap_servers: str, records: list[ConsumerRecord]) -> list[DeadLetter]:
    """Publishes each source record once (several services may have parked the same one)."""
    producer = make_producer(bootstrap_servers, client_id="onestep-dlq")
    await producer.start()
    replayed: dict[tuple[str, int, int], DeadLetter] = {}
    try:
        for record in records:
            letter = dead_letter(record)
            if letter.source in replayed or not letter.topic:
                continue
            headers = [(key, value) for key, value in record.headers or () if not key.startswith("dlq_")]
            headers.append((REPLAYED_FROM, letter.letter.encode()))
            await producer.send_and_wait(letter.topic, value=record.value, key=record.key, headers=headers)
            replayed[letter.source] = letter
    finally:
        await producer.stop()
    return list(replayed.values())


def distinct(records: Iterable[ConsumerRecord]) -> list[tuple[DeadLetter, int]]:
    """Each record a service parked, once (its first letter), with how many times it was parked.
    Parking is at least once: a consumer that loses its partitions while it handles a batch
    parks the batch's poison again when it reads the batch again."""
    letters: dict[tuple[str, tuple[str, int, int]], list[DeadLetter]] = {}
    for record in records:
        letter = dead_letter(record)
        letters.setdefault((letter.service, letter.source), []).append(letter)
    return [(same[0], len(same)) for same in letters.values()]


def _line(letter: DeadLetter, times: int) -> str:
    again = f" (parked {times} times)" if times > 1 else ""
    return (
        f"{letter.letter:>8}  {letter.service:<32} {letter.topic}[{letter.partition}]@{letter.offset}"
        f"  {letter.event_type or '-'}  {letter.event_id or '-'}  {letter.reason[:160]}{again}"
    )


async def run(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="onestep-dlq", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--bootstrap-servers", default=os.environ.get("ONESTEP_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("list", "replay"):
        command = commands.add_parser(name)
        command.add_argument("--service", help="only what this service parked (dlq_service)")
        command.add_argument("--topic", help="only records from this source topic")
        command.add_argument("--letter", action="append", default=[], help="a dead letter's <partition>:<offset>")
        if name == "list":
            command.add_argument("--json", action="store_true", help="one JSON object per line")
        else:
            command.add_argument("--dry-run", action="store_true", help="say what would be replayed")
    args = parser.parse_args(argv)

    records = await read_dead_letters(args.bootstrap_servers)
    chosen = select(records, service=args.service, topic=args.topic, letters=args.letter)
    if args.command == "list":
        listed = distinct(chosen)
        for letter, times in listed:
            print(json.dumps({**asdict(letter), "times": times}) if args.json else _line(letter, times))
        if not args.json:
            print(f"{len(listed)} parked records in {len(chosen)} dead letters (of {len(records)})", file=sys.stderr)
        return 0
    if args.dry_run:
        sources = {dead_letter(record).source for record in chosen}
        print(f"would replay {len(sources)} records from {len(chosen)} dead letters")
        return 0
    replayed = await replay(args.bootstrap_servers, chosen)
    for letter in replayed:
        print(f"replayed {letter.letter} to {letter.topic} (was {letter.topic}[{letter.partition}]@{letter.offset})")
    print(f"{len(replayed)} records replayed from {len(chosen)} dead letters")
    return 0


def main() -> None:
    sys.exit(asyncio.run(run()))


if __name__ == "__main__":
    main()
