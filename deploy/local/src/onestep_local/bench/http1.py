"""The load generator's own HTTP/1.1 client: one kept-open connection, a request written in one
piece, its answer read by its Content-Length.

The load generator shares the machine's two cores with the system it measures, so what its
client costs is taken from onestep. httpx took about 730 µs of the load generator's CPU per
request on this machine (httpcore alone about 440); this takes about 23. It speaks only what
intake answers: no chunked bodies, no redirects, no TLS.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from urllib.parse import urlsplit


class ConnectionLost(Exception):
    """The connection closed or broke before a whole answer came; the request may be sent again
    (an application carries its Idempotency-Key)."""


@dataclass
class Answer:
    status: int
    headers: dict[str, str]  # names in lower case
    body: bytes


class Connection:
    def __init__(self, base_url: str, headers: dict[str, str]):
        url = urlsplit(base_url)
        if url.scheme != "http" or not url.hostname:
            raise ValueError(f"an http:// URL with a host is needed, not {base_url!r}")
        self._host, self._port = url.hostname, url.port or 80
        self._fixed = f"Host: {url.netloc}\r\n" + "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> Answer:
        try:
            reader, writer = self._streams or await self._open()
            head = f"POST {path} HTTP/1.1\r\n{self._fixed}" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
            writer.write(f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body)
            status_line, *lines = (await reader.readuntil(b"\r\n\r\n"))[:-4].decode("latin-1").split("\r\n")
            answer_headers = {}
            for line in lines:
                name, _, value = line.partition(":")
                answer_headers[name.strip().lower()] = value.strip()
            if "content-length" not in answer_headers:
                raise ConnectionLost(f"an answer without Content-Length ({status_line})")
            content = await reader.readexactly(int(answer_headers["content-length"]))
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as error:
            await self.close()
            raise ConnectionLost(str(error) or type(error).__name__) from error
        except ConnectionLost:
            await self.close()
            raise
        if answer_headers.get("connection", "").lower() == "close":
            await self.close()
        return Answer(int(status_line.split(" ", 2)[1]), answer_headers, content)

    async def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        self._streams = await asyncio.open_connection(self._host, self._port)
        return self._streams

    async def close(self) -> None:
        if self._streams is not None:
            _, writer = self._streams
            self._streams = None
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
