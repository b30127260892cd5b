"""Relay attempts written as they happen, in small batches, with the integration state.

A push keeps results in memory for a fraction of a second at most: every `FLUSH_ROWS`
rows or `FLUSH_SECONDS`, whichever comes first, the rows and the integration's streak go
to the store in one short transaction, on a worker thread so that sending never waits
for the disk. A crash therefore loses at most the requests in flight and the last
fraction of a second, and `push --mode unsent` picks up the rest; `unique_id` makes any
resend harmless.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb
import pyarrow as pa

from .store import Store, scalar

__all__ = ["Attempt", "AttemptLog", "IntegrationState"]

log = logging.getLogger(__name__)

FLUSH_ROWS = 10_000
FLUSH_SECONDS = 1.0

_SCHEMA = pa.schema(
    [
        ("integration", pa.string()),
        ("submission_id", pa.string()),
        ("push_id", pa.string()),
        ("request_id", pa.string()),
        ("attempted_at", pa.timestamp("us", tz="UTC")),
        ("endpoint", pa.string()),
        ("mode", pa.string()),
        ("http_status", pa.int32()),
        ("outcome", pa.string()),
        ("error_code", pa.string()),
        ("error_title", pa.string()),
        ("error_detail", pa.string()),
        ("duration_ms", pa.float64()),
    ]
)


@dataclass(frozen=True)
class Attempt:
    """One row of `relay_attempts`: never the key, never the body."""

    submission_id: str
    request_id: str
    endpoint: str
    outcome: str
    http_status: int | None = None
    error_code: str | None = None
    error_title: str | None = None
    error_detail: str | None = None
    duration_ms: float | None = None
    attempted_at: datetime | None = None


@dataclass
class IntegrationState:
    """What a flush writes back to the integration's row."""

    consecutive_failures: int
    last_error: str | None = None
    last_success: bool = False
    inactive_reason: str | None = None


class AttemptLog:
    """Buffers attempts of one push and writes them, with the state, in batches."""

    def __init__(
        self, store: Store, *, integration: str, push_id: str, mode: str
    ) -> None:
        self.store = store
        self.integration = integration
        self.push_id = push_id
        self.mode = mode
        self.written = 0
        self._rows: list[Attempt] = []
        self._last_flush = time.monotonic()
        self._lock = asyncio.Lock()
        self._paused_by_hand = False

    @property
    def paused_by_hand(self) -> bool:
        """Someone set the integration inactive from another face while we pushed."""
        return self._paused_by_hand

    def add(self, attempt: Attempt) -> None:
        self._rows.append(attempt)

    def due(self) -> bool:
        return len(self._rows) >= FLUSH_ROWS or (
            bool(self._rows) and time.monotonic() - self._last_flush >= FLUSH_SECONDS
        )

    async def flush(self, state: IntegrationState | None = None) -> None:
        """Write what is buffered (and the state) on a worker thread."""
        async with self._lock:
            rows, self._rows = self._rows, []
            self._last_flush = time.monotonic()
            if not rows and state is None:
                return
            await asyncio.to_thread(self._write, rows, state)

    def flush_now(self, state: IntegrationState | None = None) -> None:
        """The same, for callers without an event loop."""
        rows, self._rows = self._rows, []
        self._write(rows, state)

    def _write(self, rows: list[Attempt], state: IntegrationState | None) -> None:
        table = self._table(rows)
        with self.store.transaction() as con:
            if table.num_rows:
                con.register("new_attempts", table)
                con.execute("INSERT INTO relay_attempts SELECT * FROM new_attempts")
                con.unregister("new_attempts")
            if state is not None:
                self._write_state(con, state)
            active = scalar(
                con,
                "SELECT active FROM integrations WHERE name = ?",
                [self.integration],
            )
        self.written += table.num_rows
        if active is False and (state is None or state.inactive_reason is None):
            self._paused_by_hand = True

    def _write_state(
        self, con: duckdb.DuckDBPyConnection, state: IntegrationState
    ) -> None:
        con.execute(
            """UPDATE integrations SET consecutive_failures = ?,
               last_error = coalesce(?, last_error),
               last_success_at = CASE WHEN ? THEN now() ELSE last_success_at END,
               updated_at = now() WHERE name = ?""",
            [
                state.consecutive_failures,
                state.last_error,
                state.last_success,
                self.integration,
            ],
        )
        if state.inactive_reason is None:
            return
        # The state keeps its reason for the rest of the push; only the write that
        # turns the integration off says so.
        changed = con.execute(
            """UPDATE integrations SET active = false, inactive_since = now(),
               inactive_reason = ? WHERE name = ? AND active""",
            [state.inactive_reason, self.integration],
        ).fetchall()
        if changed and changed[0][0]:
            log.warning(
                "integration %s is now inactive: %s",
                self.integration,
                state.inactive_reason,
            )

    def _table(self, rows: list[Attempt]) -> pa.Table:
        """Columns built directly: a bulk push writes a thousand rows per request."""
        now = datetime.now(UTC)
        count = len(rows)
        columns: dict[str, list[object]] = {
            "integration": [self.integration] * count,
            "submission_id": [r.submission_id for r in rows],
            "push_id": [self.push_id] * count,
            "request_id": [r.request_id for r in rows],
            "attempted_at": [r.attempted_at or now for r in rows],
            "endpoint": [r.endpoint for r in rows],
            "mode": [self.mode] * count,
            "http_status": [r.http_status for r in rows],
            "outcome": [r.outcome for r in rows],
            "error_code": [r.error_code for r in rows],
            "error_title": [r.error_title for r in rows],
            "error_detail": [r.error_detail for r in rows],
            "duration_ms": [r.duration_ms for r in rows],
        }
        return pa.table(columns, schema=_SCHEMA)
