"""Material files, content-addressed: a file is stored once under its sha256."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import BinaryIO


class MaterialTooLarge(Exception):
    pass


class LocalBlobStore:
    def __init__(self, root: Path):
        self._root = root

    def _path(self, sha256: str) -> Path:
        return self._root / sha256[:2] / sha256

    def put(self, stream: BinaryIO, *, max_bytes: int) -> tuple[str, int]:
        """Stores the stream's bytes; returns (sha256, size). Storing the same bytes twice is a no-op."""
        self._root.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        with tempfile.NamedTemporaryFile(dir=self._root, delete=False) as temporary:
            try:
                while chunk := stream.read(1024 * 1024):
                    size += len(chunk)
                    if size > max_bytes:
                        raise MaterialTooLarge(f"larger than {max_bytes} bytes")
                    digest.update(chunk)
                    temporary.write(chunk)
                temporary.flush()
                os.fsync(temporary.fileno())
            except BaseException:
                os.unlink(temporary.name)
                raise
        sha256 = digest.hexdigest()
        target = self._path(sha256)
        target.parent.mkdir(exist_ok=True)
        os.replace(temporary.name, target)
        return sha256, size

    def stored(self, sha256s: set[str]) -> set[str]:
        """The subset of the given digests that are stored."""
        return {sha for sha in sha256s if isinstance(sha, str) and len(sha) == 64 and self._path(sha).is_file()}

    def writable(self) -> bool:
        self._root.mkdir(parents=True, exist_ok=True)
        return os.access(self._root, os.W_OK)
