"""Where generated downloads are kept: a Django storage backend in the database, so no shared disk is needed.

Every app process on every machine can serve a file the job consumer wrote on another machine (a FHIR bulk
export's NDJSON files), because the bytes are rows in PostgreSQL (StoredFile + StoredFileChunk, up to
CHUNK_SIZE each). The settings choose the backend of the "exports" storage: NERVECARE_EXPORT_STORAGE=database
(the default) or filesystem (NERVECARE_DATA_DIR/exports; then that folder must be shared by every machine).

Reading streams one chunk at a time (a download of a large export keeps memory flat); writing takes a
file-like object and stores it chunk by chunk inside one transaction, so a file is there whole or not at all.
"""

from __future__ import annotations

import contextlib
import io
import os
from typing import IO, Any

from django.core.files.base import File
from django.core.files.storage import Storage, storages
from django.db import transaction
from django.utils.deconstruct import deconstructible

from nervecare.core.models import StoredFile, StoredFileChunk

CHUNK_SIZE = 1024 * 1024
EXPORTS = "exports"  # the STORAGES alias of generated downloads


def export_storage() -> Storage:
    """The storage the settings chose for generated downloads (STORAGES["exports"])."""
    return storages[EXPORTS]


class _ChunkReader(io.RawIOBase):
    """A read-only stream over a stored file's chunks, fetching one chunk row at a time."""

    def __init__(self, file_id: int) -> None:
        self._file_id = file_id
        self._seq = 0
        self._buffer = b""
        self._done = False

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        while not self._buffer and not self._done:
            data = (
                StoredFileChunk.objects.filter(file_id=self._file_id, seq=self._seq)
                .values_list("data", flat=True)
                .first()
            )
            if data is None:
                self._done = True
            else:
                self._buffer = bytes(data)
                self._seq += 1
        n = min(len(b), len(self._buffer))
        b[:n] = self._buffer[:n]
        self._buffer = self._buffer[n:]
        return n


@deconstructible
class DatabaseStorage(Storage):
    """A Django storage whose files are rows in the database (see the module docstring)."""

    def _open(self, name: str, mode: str = "rb") -> File:
        if "w" in mode or "a" in mode or "+" in mode:
            raise ValueError("DatabaseStorage files are written with save(), not opened for writing")
        stored = StoredFile.objects.filter(name=name).only("pk").first()
        if stored is None:
            raise FileNotFoundError(name)
        return File(io.BufferedReader(_ChunkReader(stored.pk), buffer_size=CHUNK_SIZE), name=name)

    def _save(self, name: str, content: IO[bytes] | File) -> str:
        if hasattr(content, "seek"):
            content.seek(0)
        with transaction.atomic():
            StoredFile.objects.filter(name=name).delete()
            stored = StoredFile.objects.create(name=name)
            size = 0
            seq = 0
            while chunk := content.read(CHUNK_SIZE):
                StoredFileChunk.objects.create(file=stored, seq=seq, data=chunk)
                size += len(chunk)
                seq += 1
            StoredFile.objects.filter(pk=stored.pk).update(size=size)
        return name

    def get_available_name(self, name: str, max_length: int | None = None) -> str:
        return name  # the callers name their files uniquely (the export's id); a save replaces

    def delete(self, name: str) -> None:
        StoredFile.objects.filter(name=name).delete()

    def delete_prefix(self, prefix: str) -> int:
        """Delete every file whose name starts with `prefix` (an export's folder); how many."""
        deleted, by_model = StoredFile.objects.filter(name__startswith=prefix).delete()
        return by_model.get(StoredFile._meta.label, 0)

    def exists(self, name: str) -> bool:
        return StoredFile.objects.filter(name=name).exists()

    def size(self, name: str) -> int:
        stored = StoredFile.objects.filter(name=name).values_list("size", flat=True).first()
        if stored is None:
            raise FileNotFoundError(name)
        return int(stored)

    def listdir(self, path: str) -> tuple[list[str], list[str]]:
        prefix = path.rstrip("/") + "/" if path else ""
        dirs: set[str] = set()
        files: list[str] = []
        for name in StoredFile.objects.filter(name__startswith=prefix).values_list("name", flat=True):
            rest = name[len(prefix) :]
            head, sep, _tail = rest.partition("/")
            if sep:
                dirs.add(head)
            else:
                files.append(rest)
        return sorted(dirs), sorted(files)

    def url(self, name: str | None) -> str:
        raise NotImplementedError("stored files are served by the views that check who may read them")


def delete_folder(storage: Storage, folder: str) -> None:
    """Delete a folder of files in any storage (the database one in one statement)."""
    if isinstance(storage, DatabaseStorage):
        storage.delete_prefix(folder.rstrip("/") + "/")
        return
    try:
        _dirs, files = storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in files:
        storage.delete(f"{folder}/{name}")
    path = getattr(storage, "path", None)
    if path is not None:
        with contextlib.suppress(OSError):  # not empty, or already gone
            os.rmdir(path(folder))
