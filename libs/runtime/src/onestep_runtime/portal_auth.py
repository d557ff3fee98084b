"""API-key authentication: `Authorization: Bearer <key>` names the portal (or the officer)."""

from __future__ import annotations

import hmac
from collections.abc import Callable

from fastapi import Request

from .problems import Problem


def portal_authenticator(portal_keys: dict[str, str]) -> Callable[[Request], str]:
    """A FastAPI dependency returning the portal id for the request's API key.

    `portal_keys` maps portal id → API key. Keys are compared in constant time.
    """
    return key_authenticator(portal_keys, holder="portal")


def key_authenticator(holder_keys: dict[str, str], *, holder: str) -> Callable[[Request], str]:
    """A FastAPI dependency returning who holds the request's API key (`holder_keys`: id → key)."""
    keys = [(portal, key.encode()) for portal, key in holder_keys.items()]

    def authenticate(request: Request) -> str:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Problem(
                401,
                f"A {holder} API key is required",
                detail=f"Send 'Authorization: Bearer <{holder} API key>'.",
                headers={"WWW-Authenticate": "Bearer"},
            )
        given = token.strip().encode()
        for portal, key in keys:
            if hmac.compare_digest(given, key):
                return portal
        raise Problem(401, f"The {holder} API key is not valid", headers={"WWW-Authenticate": "Bearer"})

    return authenticate
