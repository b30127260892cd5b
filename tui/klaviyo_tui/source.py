"""The TUI's one door to the store: what a refresh reads and what an action changes.

A refresh has two parts. The live part (integration states and streaks, the relay
log, the header totals, an open detail's failures and attempts per minute) is cheap and
read on every poll, so an integration that turns inactive shows at the next refresh.
The counts (delivered, failed and unsent per integration, which `Toolkit.status()` works
out per submission, and an open detail's unsent backlog) cost a pass over every
attempt; they are read again only when the store has changed, and never so often that
the TUI holds the file more than a fifth of the time, so other writers are not starved.

Nothing here imports Textual, so the benchmark times a refresh as the app runs it. Every
call opens the DuckDB file and closes it again; the app calls them from threads.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
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
    "Counts",
    "CountsSchedule",
    "Live",
    "LogFilter",
    "PushRequest",
    "PushRun",
    "ScopeChange",
    "Source",
    "Watched",
    "is_busy",
]

LOG_ROWS = 100
"""Attempts shown in the relay log: the newest, so the query is a top-N, not a dump."""
POLL_BUSY_TIMEOUT = 1.0
"""Seconds a refresh waits for a file another process holds before it says so; the next
refresh tries again, so a short wait keeps the screen honest about its age."""
COUNTS_DUTY = 0.2
"""The largest share of wall time the counts may hold the file."""
COUNTS_MAX_AGE = 60.0
"""Counts are read again at least this often (seconds), changed or not: a page's team
can change scope without touching attempts or integrations."""
OUTCOMES = ("delivered", "failed", "throttled", "rejected")

Mode = Literal["unsent", "all"]
Fingerprint = tuple[object, ...]


@dataclass(frozen=True)
class LogFilter:
    """Which attempts the relay log shows; None means any."""

    integration: str | None = None
    outcome: str | None = None


@dataclass(frozen=True)
class Watched:
    """The live part of an open detail screen."""

    integration: Integration
    failures: pl.DataFrame
    per_minute: pl.DataFrame


@dataclass(frozen=True)
class Live:
    """What every refresh reads."""

    integrations: tuple[Integration, ...]
    totals: health.Totals
    log: pl.DataFrame
    watched: Watched | None

    @property
    def fingerprint(self) -> Fingerprint:
        """Changes whenever the counts may have changed."""
        t = self.totals
        return (t.integrations, t.submissions, t.attempts, t.integrations_changed_at)


@dataclass(frozen=True)
class Counts:
    """What a refresh reads only when the store changed."""

    status: pl.DataFrame
    """`Toolkit.status()`: one row per integration."""
    watched: str | None
    backlog: pl.DataFrame | None
    """The watched integration's unsent submissions by day."""
    read_at: datetime

    def row(self, name: str) -> dict[str, object] | None:
        rows = self.status.filter(pl.col("name") == name).to_dicts()
        return rows[0] if rows else None


class CountsSchedule:
    """Decides when a refresh reads the counts again."""

    def __init__(
        self, *, duty: float = COUNTS_DUTY, max_age: float = COUNTS_MAX_AGE
    ) -> None:
        self.duty = duty
        self.max_age = max_age
        self._fingerprint: Fingerprint | None = None
        self._watched: str | None = None
        self._started = 0.0
        self._took = 0.0

    def due(
        self, fingerprint: Fingerprint, watched: str | None, *, clock: float
    ) -> bool:
        """`clock` is monotonic seconds; a new detail screen is always due at once."""
        if self._fingerprint is None or watched != self._watched:
            return True
        age = clock - self._started
        if age < self._took / self.duty:
            return False
        return fingerprint != self._fingerprint or age >= self.max_age

    def record(
        self,
        fingerprint: Fingerprint,
        watched: str | None,
        *,
        started: float,
        took: float,
    ) -> None:
        self._fingerprint = fingerprint
        self._watched = watched
        self._started = started
        self._took = took

    def forget(self) -> None:
        """Make the next refresh read the counts (after an action, or on demand)."""
        self._fingerprint = None


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
            return f"{what} of {self.integration}, of any date"
        since = self.since or "the first day"
        until = self.until or "today"
        return f"{what} of {self.integration}, created {since} to {until}"


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
        # Reads give up quickly so that the screen can say the file is busy; actions
        # wait as long as the toolkit does, because the operator asked for them.
        self.reader = Toolkit(db, busy_timeout=poll_timeout)
        self.writer = Toolkit(db)
        self.clock = clock

    @property
    def path(self) -> Path:
        return self.reader.path

    def live(
        self, log_filter: LogFilter, watched: str | None, *, now: datetime
    ) -> Live:
        """The live part of a refresh; `watched` adds an open detail's activity."""
        store = self.reader.store
        with self._pinned():
            integrations = tuple(self.reader.integrations())
            totals = health.totals(store)
            log = health.relay_log(
                store,
                integration=log_filter.integration,
                outcome=log_filter.outcome,
                limit=LOG_ROWS,
            )
            found = {i.name: i for i in integrations}
            detail = None
            if watched is not None and watched in found:
                detail = Watched(
                    integration=found[watched],
                    failures=health.recent_failures(store, watched),
                    per_minute=health.attempts_per_minute(store, watched, until=now),
                )
        return Live(integrations, totals, log, detail)

    def counts(self, watched: str | None, *, now: datetime) -> Counts:
        """Every integration's counts and, with a detail open, its backlog by day."""
        with self._pinned():
            status = self.reader.status()
            backlog = None
            if watched is not None and watched in status.get_column("name").to_list():
                settings = self.reader.integration(watched).settings
                backlog = health.unsent_by_day(self.reader.store, settings)
        return Counts(status=status, watched=watched, backlog=backlog, read_at=now)

    @contextmanager
    def _pinned(self) -> Iterator[None]:
        """Hold one connection while a refresh runs its queries.

        Opening a DuckDB file costs tens of milliseconds, and while one connection is
        open the toolkit's own (each query opens one) reuse the open database for free.
        The file is still held only for the refresh, never between two; a push in this
        process waits that long for the store's connection lock before it writes.
        """
        with self.reader.store.connect():
            yield

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
        self,
        request: PushRequest,
        run: PushRun,
        *,
        progress: ProgressCallback | None = None,
    ) -> PushReport | None:
        """Push on this thread; None when `run` was stopped before the push ended."""
        return run.run(
            lambda: self.writer.push_async(
                request.integration,
                mode=request.mode,
                since=request.since,
                until=request.until,
                options=PushOptions(clock=self.clock),
                progress=progress,
            )
        )


class PushRun:
    """Pushes on their own event loop, one after another, that any thread may stop.

    Stopping cancels the push at its next await: the relay then writes the attempts it
    has, so only the requests in flight are lost, as in a crash, and a later push of
    the unsent submissions completes the work. Once stopped, it runs nothing more.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[object] | None = None
        self.stopped = False

    def run(
        self, push: Callable[[], Coroutine[Any, Any, PushReport]]
    ) -> PushReport | None:
        try:
            return asyncio.run(self._main(push))
        except asyncio.CancelledError:
            return None

    def stop(self) -> None:
        with self._lock:
            self.stopped = True
            if self._loop is not None and self._task is not None:
                self._loop.call_soon_threadsafe(self._task.cancel)

    async def _main(
        self, push: Callable[[], Coroutine[Any, Any, PushReport]]
    ) -> PushReport:
        with self._lock:
            if self.stopped:
                raise asyncio.CancelledError
            self._loop = asyncio.get_running_loop()
            self._task = asyncio.current_task()
        try:
            return await push()
        finally:
            with self._lock:
                self._loop = self._task = None
