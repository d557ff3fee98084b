"""Portal authentication: `Authorization: Bearer <portal API key>` names the portal."""

from __future__ import annotations

import hmac
from collections.abc import Callable

from fastapi import Request

from .problems import Problem


def portal_authenticator(portal_keys: dict[str, str]) -> Callable[[Request], str]:
    """A FastAPI dependency returning the portal id for the request's API key.

    `portal_keys` maps portal id → API key. Keys are compared in constant time.
    """
    keys = [(portal, key.encode()) for portal, key in portal_keys.items()]

    def authenticate(request: Request) -> str:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Problem(
                401,
                "A portal API key is required",
                detail="Send 'Authorization: Bearer <portal API key>'.",
                headers={"WWW-Authenticate": "Bearer"},
            )
        given = token.strip().encode()
        for portal, key in keys:
            if hmac.compare_digest(given, key):
                return portal
        raise Problem(401, "The portal API key is not valid", headers={"WWW-Authenticate": "Bearer"})

    return authenticate
