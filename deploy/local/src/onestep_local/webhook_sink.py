"""A development stand-in for a portal's webhook: prints each notification and whether its
signature verifies; takes single events and batches alike. `make up` points the development portal's webhook here."""

from __future__ import annotations

import argparse
import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from onestep_contracts.signing import SIGNATURE_HEADER, verify


def serve(port: int, secret: str, *, quiet: bool = False) -> None:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keeps notify's connections open

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            signed = verify(secret, body, self.headers.get(SIGNATURE_HEADER, ""))
            if not quiet:
                received = json.loads(body)  # one CloudEvent, or a batch of them (a JSON array)
                for event in received if isinstance(received, list) else [received]:
                    print(
                        f"webhook: {event['type']} case {event['subject']} signature {'ok' if signed else 'BAD'}",
                        flush=True,
                    )
            self._answer(204 if signed else 401)

        def do_GET(self) -> None:
            self._answer(200 if self.path == "/readyz" else 404)

        def _answer(self, status: int) -> None:
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return None

    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(prog="onestep-webhook-sink")
    parser.add_argument("--port", type=int, default=8089)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--quiet", action="store_true", help="print nothing per notification (benchmarks)")
    args = parser.parse_args()
    serve(args.port, args.secret, quiet=args.quiet)


if __name__ == "__main__":
    main()
