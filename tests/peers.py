"""Real local servers that stand in for peers outside onestep (a portal's webhook, a
department's system)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class WebhookReceiver:
    """A portal's webhook endpoint, or a department's system: records every POST received whole;
    answers with `statuses` in turn, then 200, each with the body of `bodies` in turn (then none).
    With a `gate`, each POST is answered only once the gate is set (a slow peer)."""

    def __init__(
        self,
        statuses: list[int] | None = None,
        bodies: list[bytes] | None = None,
        gate: threading.Event | None = None,
    ):
        self.received: list[dict[str, Any]] = []
        self.statuses = list(statuses or [])
        self.bodies = list(bodies or [])
        self.gate = gate
        self.waiting = 0  # POSTs held at the gate
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                if len(body) < length:  # the sender died mid-request: nothing was delivered
                    return
                if receiver.gate is not None and not receiver.gate.is_set():
                    receiver.waiting += 1
                    receiver.gate.wait()
                    receiver.waiting -= 1
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                answer = receiver.bodies.pop(0) if receiver.bodies else b""
                receiver.received.append({"headers": dict(self.headers), "body": body, "answered": status})
                self.send_response(status)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: object) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/onestep-events"

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def serving(app: Any, port: int | None = None) -> Iterator[str]:
    """Runs an ASGI app (a department's system, or a gateway its callbacks must reach) on a
    real local port in a thread; yields its base URL."""
    import time

    import uvicorn

    from onestep_local.kafka_broker import free_port

    port = port or free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)
