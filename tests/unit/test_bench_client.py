"""The load generator's own HTTP/1.1 client against a real local server: it keeps its
connection, reads each answer by its length, and reports a broken one so the request can be
sent again."""

from __future__ import annotations

import asyncio

import pytest

from onestep_local.bench.http1 import Connection, ConnectionLost


class Server:
    """Answers each request with the next of `answers` (raw bytes), after reading it whole;
    `None` closes the connection without answering. Records what it was sent."""

    def __init__(self, answers: list[bytes | None]):
        self.answers = answers
        self.requests: list[tuple[bytes, bytes]] = []  # (head, body)
        self.connections = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while self.answers:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length")
                )
                self.requests.append((head, await reader.readexactly(length)))
                answer = self.answers.pop(0)
                if answer is None:
                    return
                writer.write(answer)
                await writer.drain()
        except asyncio.IncompleteReadError:
            return
        finally:
            writer.close()


def answer(status: str, body: bytes, *extra: str) -> bytes:
    head = "".join(f"{line}\r\n" for line in (f"HTTP/1.1 {status}", f"Content-Length: {len(body)}", *extra))
    return f"{head}\r\n".encode() + body


@pytest.fixture
async def serving():
    servers = []

    async def start(answers: list[bytes | None]) -> tuple[Server, str]:
        server = Server(answers)
        listening = await asyncio.start_server(server.handle, "127.0.0.1", 0)
        servers.append(listening)
        port = listening.sockets[0].getsockname()[1]
        return server, f"http://127.0.0.1:{port}"

    yield start
    for listening in servers:
        listening.close()
        await listening.wait_closed()


async def test_answers_are_read_by_length_on_one_kept_connection(serving):
    server, url = await serving(
        [
            answer("202 Accepted", b'{"case_id": "c-1"}'),
            answer("503 Service Unavailable", b"{}", "Retry-After: 2"),
            answer("422 Unprocessable Entity", b'{"errors": []}'),
        ]
    )
    client = Connection(url, {"Authorization": "Bearer k"})
    first = await client.post("/v1/applications", b'{"a": 1}', {"Idempotency-Key": "k1"})
    assert (first.status, first.body) == (202, b'{"case_id": "c-1"}')
    second = await client.post("/v1/applications", b"{}", {"Idempotency-Key": "k2"})
    assert second.status == 503 and second.headers["retry-after"] == "2"
    assert (await client.post("/v1/applications", b"{}", {})).status == 422
    await client.close()

    assert server.connections == 1
    head, body = server.requests[0]
    assert head.startswith(b"POST /v1/applications HTTP/1.1\r\n")
    assert b"Authorization: Bearer k\r\n" in head and b"Idempotency-Key: k1\r\n" in head
    assert body == b'{"a": 1}'


async def test_a_connection_closed_before_the_answer_is_reported_and_the_next_request_reconnects(serving):
    server, url = await serving([None, answer("202 Accepted", b"{}")])
    client = Connection(url, {})
    with pytest.raises(ConnectionLost):
        await client.post("/v1/applications", b"{}", {})
    assert (await client.post("/v1/applications", b"{}", {})).status == 202
    await client.close()
    assert server.connections == 2


async def test_an_answer_without_a_length_is_refused(serving):
    _, url = await serving([b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"])
    client = Connection(url, {})
    with pytest.raises(ConnectionLost, match="without Content-Length"):
        await client.post("/", b"{}", {})


async def test_nothing_listening_is_reported_as_a_lost_connection():
    listening = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = listening.sockets[0].getsockname()[1]
    listening.close()
    await listening.wait_closed()
    with pytest.raises(ConnectionLost):
        await Connection(f"http://127.0.0.1:{port}", {}).post("/", b"", {})


def test_only_plain_http_urls_are_taken():
    with pytest.raises(ValueError, match="http://"):
        Connection("https://intake.example", {})
