"""HMAC-SHA256 signatures for what onestep POSTs to a portal's webhook.

Header `Onestep-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.
The timestamp is signed with the body so a captured request cannot be replayed later;
a receiver rejects a signature older than its tolerance (five minutes is usual).
"""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "Onestep-Signature"


def sign(secret: str, body: bytes, *, timestamp: int | None = None) -> str:
    stamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={digest}"


def verify(secret: str, body: bytes, header: str, *, tolerance_s: int = 300, now: int | None = None) -> bool:
    """True when the header is a valid, fresh signature of the body."""
    try:
        fields = dict(part.split("=", 1) for part in header.split(","))
        stamp = int(fields["t"])
        given = fields["v1"]
    except (ValueError, KeyError):
        return False
    current = int(time.time()) if now is None else now
    if abs(current - stamp) > tolerance_s:
        return False
    expected = sign(secret, body, timestamp=stamp).split("v1=", 1)[1]
    return hmac.compare_digest(expected, given)
