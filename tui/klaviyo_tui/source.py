"""The TUI's one door to the store: what a refresh reads and what an action changes.

Nothing here imports Textual, so the benchmark can time a refresh exactly as the app runs
it. Every call opens the DuckDB file, does its work and closes it again (the toolkit's
rule), and the app only ever calls these from thread workers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

import polars as pl

from klaviyo_toolkit import health
from klaviyo_toolkit.clock import SYSTEM_CLOCK, Clock
from klaviyo_toolkit.errors import StoreBusy, StoreError
from klaviyo_toolkit.integrations import Integration
from klaviyo_toolkit.relay import ProgressCallback, PushOptions, PushReport
from klaviyo_toolkit.settings import ApiKey
from klaviyo_toolkit.toolkit import Toolkit

__all__ = [
    "LOG_ROWS",
    "OUTCOMES",
    "POLL_BUSY_TIMEOUT",
    "Detail",
    "LogFilter",
    "Overview",
    "PushRequest",
    "ScopeChange",
    "Source",
    "is_busy",
]

LOG_ROWS = 100
"""Attempts shown in the relay log; the newest, so the query is a top-N, never a scan out."""
POLL_BUSY_TIMEOUT = 1.0
"""Seconds a refresh waits for a file another process holds before it says so; the next
refresh tries again, so a short wait keeps the screen honest about what it shows."""
OUTCOMES = ("delivered", "failed", "throttled", "rejected")

Mode = Literal["unsent", "all"]


@dataclass(frozen=True)
class LogFilter:
    """Which attempts the relay log shows; None means any."""

    integration: str | None = None
    outcome: str | None = None


@dataclass(frozen=True)
class Overview:
    """What the main screen shows, read in one refresh."""

    status: pl.DataFrame
    """`Toolkit.status()`: one row per integration."""
    log: pl.DataFrame
    """The newest attempts that pass the log filter, newest first."""
    totals: health.Totals


@dataclass(frozen=True)
class Detail:
    """What the detail screen shows of one integration."""

    integration: Integration
    status: dict[str, Any]
    """The integration's row of `Toolkit.status()` (counts, streak, key hint)."""
    failures: pl.DataFrame
    per_minute: pl.DataFrame
    backlog: pl.DataFrame


@dataclass(frozen=True)
class PushRequest:
    """A push asked for from the screen: dates are whole UTC days, both included."""

    integration: str
    mode: Mode = "unsent"
    since: date | None = None
    until: date | None = None

    def describe(self) -> str:
        what = "unsent submissions" if self.mode == "unsent" else "all submissions"
        if self.since is None and self.until is None:
            span = "of any date"
        else:
            span = f"created {self.since or 'any time'} to {self.until or 'today'}"
        return f"{what} {span} of {self.integration}"


@dataclass(frozen=True)
class ScopeChange:
    """A new scope typed into the edit form, as text the toolkit parses."""

    pages: str
    """'all' or page ids separated by commas."""
    excluded_pages: str
    team: str


def is_busy(error: Exception) -> bool:
    """True when another process holds the file: worth a retry, not an alarm."""
    return isinstance(error, StoreBusy) or (
        isinstance(error, StoreError) and "lock" in str(error).lower()
    )


class Source:
    """Reads for the screens and the actions they offer, on one DuckDB file."""

    def __init__(
        self,
        db: str | Path,
        *,
        poll_timeout: float = POLL_BUSY_TIMEOUT,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        # Reads give up quickly so that the screen can say the file is busy; actions wait
        # as long as the toolkit does, because the operator asked for them.
        self.reader = Toolkit(db, busy_timeout=poll_timeout)
        self.writer = Toolkit(db)
        self.clock = clock

    @property
    def path(self) -> Path:
        return self.reader.path

    def overview(self, log_filter: LogFilter, *, log_rows: int = LOG_ROWS) -> Overview:
        status = self.reader.status()
        log = self.reader.attempts(
            log_filter.integration, outcome=log_filter.outcome, limit=log_rows
        )
        return Overview(status=status, log=log, totals=health.totals(self.reader.store))

    def detail(self, name: str, status: pl.DataFrame, *, now: datetime) -> Detail:
        integration = self.reader.integration(name)
        store = self.reader.store
        rows = status.filter(pl.col("name") == name).to_dicts()
        return Detail(
            integration=integration,
            status=rows[0] if rows else {},
            failures=health.recent_failures(store, name),
            per_minute=health.attempts_per_minute(store, name, until=now),
            backlog=health.unsent_by_day(store, integration.settings),
        )

    def reactivate(self, name: str) -> Integration:
        return self.writer.reactivate(name)

    def pause(self, name: str) -> Integration:
        return self.writer.pause(name, reason="paused from klaviyo-tui")

    def change_scope(self, name: str, change: ScopeChange) -> Integration:
        return self.writer.update_integration(
            name,
            pages=change.pages,
            excluded_pages=change.excluded_pages,
            team=change.team.strip(),
        )

    def rotate_key(self, name: str, key: ApiKey) -> Integration:
        return self.writer.update_integration(name, api_key=key.reveal())

    def push(
        self, request: PushRequest, *, progress: ProgressCallback | None = None
    ) -> PushReport:
        return self.writer.push(
            request.integration,
            mode=request.mode,
            since=request.since,
            until=request.until,
            options=PushOptions(clock=self.clock),
            progress=progress,
        )
