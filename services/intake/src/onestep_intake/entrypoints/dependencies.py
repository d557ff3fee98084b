from fastapi import Request

from ..bootstrap import Intake


async def intake(request: Request) -> Intake:
    return request.app.state.intake


async def portal(request: Request) -> str:
    """The portal named by the request's API key (401 problem otherwise)."""
    return request.app.state.authenticate_portal(request)
