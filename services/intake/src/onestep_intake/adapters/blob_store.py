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
    def __init__(self, root: Path, *, remembered: int = 100_000):
        self._root = root
        # Digests known to be stored: a file under its digest never changes, so each is looked
        # up on disk once (a busy intake checks the same forms' materials many times a second).
        self._known: dict[str, None] = {}
        self._remembered = remembered

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
        self._remember(sha256)
        return sha256, size

    def known(self, sha256s: set[str]) -> set[str]:
        """The subset of the given digests remembered as stored, without touching the disk."""
        return {sha for sha in sha256s if sha in self._known}

    def stored(self, sha256s: set[str]) -> set[str]:
        """The subset of the given digests that are stored (disk work for those not remembered)."""
        found = set()
        for sha in sha256s:
            if sha in self._known or (isinstance(sha, str) and len(sha) == 64 and self._path(sha).is_file()):
                self._remember(sha)
                found.add(sha)
        return found

    def _remember(self, sha256: str) -> None:
        if sha256 in self._known:
            return
        if len(self._known) >= self._remembered:
            self._known.pop(next(iter(self._known)))  # the oldest
        self._known[sha256] = None

    def writable(self) -> bool:
        self._root.mkdir(parents=True, exist_ok=True)
        return os.access(self._root, os.W_OK)
