"""Bulk requests for `/api/event-bulk-create-jobs`, cut to Klaviyo's limits.

One request carries at most 1,000 events and 5 MB, and a `unique_id` repeated inside one
request fails the whole request, so items are packed in order until the next one would
break a limit, and a repeated id waits for the next request.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

__all__ = [
    "MAX_BULK_BYTES",
    "MAX_BULK_EVENTS",
    "BulkBatch",
    "bulk_batches",
    "bulk_payload",
]

MAX_BULK_EVENTS = 1_000
MAX_BULK_BYTES = 5 * 1024 * 1024
_PREFIX = (
    b'{"data":{"type":"event-bulk-create-job",'
    b'"attributes":{"events-bulk-create":{"data":['
)
_SUFFIX = b"]}}}}"


@dataclass(frozen=True)
class BulkBatch:
    """The submissions of one bulk request, in order, and their items as JSON text."""

    submission_ids: tuple[str, ...]
    items: tuple[bytes, ...]

    @property
    def payload(self) -> bytes:
        return bulk_payload(self.items)

    def halves(self) -> tuple[BulkBatch, BulkBatch]:
        """Two smaller batches, to find the item that made Klaviyo refuse this one."""
        middle = len(self.items) // 2
        return (
            BulkBatch(self.submission_ids[:middle], self.items[:middle]),
            BulkBatch(self.submission_ids[middle:], self.items[middle:]),
        )


def bulk_payload(items: Iterable[bytes]) -> bytes:
    return _PREFIX + b",".join(items) + _SUFFIX


def bulk_batches(
    rows: Iterable[tuple[str, bytes]],
    *,
    max_events: int = MAX_BULK_EVENTS,
    max_bytes: int = MAX_BULK_BYTES,
) -> Iterator[BulkBatch]:
    """Pack (unique_id, item) pairs into batches within both limits.

    No id appears twice in one batch; a repeated id waits for a later one.
    """
    envelope = len(_PREFIX) + len(_SUFFIX)
    ids: list[str] = []
    items: list[bytes] = []
    seen: set[str] = set()
    size = envelope
    waiting: list[tuple[str, bytes]] = []

    for unique_id, item in rows:
        if unique_id in seen:
            waiting.append((unique_id, item))
            continue
        added = len(item) + (1 if items else 0)
        if items and (len(items) >= max_events or size + added > max_bytes):
            yield BulkBatch(tuple(ids), tuple(items))
            ids, items, seen, size = [], [], set(), envelope
            added = len(item)
        ids.append(unique_id)
        items.append(item)
        seen.add(unique_id)
        size += added

    if items:
        yield BulkBatch(tuple(ids), tuple(items))
    if waiting:
        yield from bulk_batches(waiting, max_events=max_events, max_bytes=max_bytes)
