"""An append-only, fsync'd journal of accepted webhook deliveries.

The store's rule (every unit of work opens the DuckDB file and closes it, so that other
processes can read it) makes one commit cost a good part of a second under load: open,
write, checkpoint on close. A webhook sender waits for its answer, so answering only
after that commit caps the receiver at a few dozen deliveries a second. The journal
takes that cost off the answer: a delivery is durable once its line is written and
fsync'd here, and a drainer moves whole segments into the store in one transaction each.

Layout: a folder of numbered segment files, `segment-000000000001.jsonl`, ... Appends go
to the newest; `seal()` closes it and starts the next, and a sealed segment is discarded
once its records are in the store. At start every segment left over is sealed, so a
crash between the commit and the discard only replays records that the store's request
id check already knows.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .errors import ToolkitError

__all__ = ["Journal", "JournalRead"]

log = logging.getLogger(__name__)

PREFIX = "segment-"
SUFFIX = ".jsonl"


class JournalRead:
    """What a set of sealed segments held: their records in order, and torn lines."""

    def __init__(self, records: list[dict[str, Any]], torn: int) -> None:
        self.records = records
        self.torn = torn


class Journal:
    """Numbered JSON-lines segments in one folder, private to the owner.

    Safe to call from several threads: appends and seals are serialized by a lock.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as error:
            raise ToolkitError(
                f"Cannot create the webhook journal folder {folder}: {error.strerror}."
            ) from error
        self._lock = threading.Lock()
        self._number = max(_numbers(folder), default=0)
        self._fd: int | None = None

    def append(self, records: Iterable[dict[str, Any]]) -> None:
        """Write the records and return once they are on disk."""
        data = b"".join(_line(record) for record in records)
        if not data:
            return

        with self._lock:
            fd = self._open_segment()
            _write_all(fd, data)
            os.fsync(fd)

    def seal(self) -> list[Path]:
        """Close the segment being written; every sealed segment, oldest first."""
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
            return [self._path(number) for number in sorted(_numbers(self.folder))]

    def read(self, segments: list[Path]) -> JournalRead:
        """The records of sealed segments; a torn last line (a crash mid-write) is
        skipped: its sender never had an answer, so Anedot sends it again."""
        records: list[dict[str, Any]] = []
        torn = 0
        for segment in segments:
            for line in segment.read_bytes().splitlines():
                try:
                    records.append(json.loads(line))
                except ValueError:
                    torn += 1
        if torn:
            log.warning("skipped %d torn journal lines in %s", torn, self.folder)
        return JournalRead(records, torn)

    def discard(self, segments: list[Path]) -> None:
        for segment in segments:
            segment.unlink(missing_ok=True)

    def is_empty(self) -> bool:
        """True when every record appended has been discarded after its move."""
        return not _numbers(self.folder)

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None

    def _open_segment(self) -> int:
        if self._fd is None:
            self._number += 1
            path = self._path(self._number)
            self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            _sync_folder(self.folder)
        return self._fd

    def _path(self, number: int) -> Path:
        return self.folder / f"{PREFIX}{number:012d}{SUFFIX}"


def _numbers(folder: Path) -> list[int]:
    numbers = []
    for path in folder.glob(f"{PREFIX}*{SUFFIX}"):
        digits = path.name[len(PREFIX) : -len(SUFFIX)]
        if digits.isdigit():
            numbers.append(int(digits))
    return numbers


def _line(record: dict[str, Any]) -> bytes:
    return (
        json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
    )


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _sync_folder(folder: Path) -> None:
    """Make a new segment's name durable, not only its contents."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
