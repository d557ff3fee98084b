"""Material uploads: content-addressed, so the same file is stored once."""

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, UploadFile

from onestep_runtime.problems import Problem

from ...adapters.blob_store import MaterialTooLarge
from ...bootstrap import Intake
from ..dependencies import intake, portal

router = APIRouter(tags=["materials"])


@router.post("/materials", status_code=201, summary="Upload a material file; returns its sha256")
async def upload_material(
    file: UploadFile,
    context: Annotated[Intake, Depends(intake)],
    _portal: Annotated[str, Depends(portal)],
) -> dict[str, Any]:
    try:
        sha256, size = await asyncio.to_thread(
            context.blobs.put, file.file, max_bytes=context.settings.max_material_bytes
        )
    except MaterialTooLarge as exc:
        raise Problem(413, "The material file is too large", detail=str(exc)) from exc
    return {"sha256": sha256, "size": size, "filename": file.filename, "content_type": file.content_type}
