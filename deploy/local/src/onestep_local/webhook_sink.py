"""A development stand-in for a portal's webhook: prints each notification and whether its
signature verifies. `make up` points the development portal's webhook here."""

from __future__ import annotations

import argparse
import json
from http.server import BaseHTTPRequestHandler, HTTPServer

from onestep_contracts.signing import SIGNATURE_HEADER, verify


def serve(port: int, secret: str) -> None:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            signed = verify(secret, body, self.headers.get(SIGNATURE_HEADER, ""))
            event = json.loads(body)
            print(f"webhook: {event['type']} case {event['subject']} signature {'ok' if signed else 'BAD'}", flush=True)
            self.send_response(204 if signed else 401)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return None

    HTTPServer(("127.0.0.1", port), Handler).serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(prog="onestep-webhook-sink")
    parser.add_argument("--port", type=int, default=8089)
    parser.add_argument("--secret", required=True)
    args = parser.parse_args()
    serve(args.port, args.secret)


if __name__ == "__main__":
    main()
