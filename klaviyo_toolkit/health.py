"""Relay health: the read-side queries the faces poll beyond `status`.

The TUI runs these every couple of seconds and the notebook draws them, so each is one
aggregate statement with a bound on what it returns: a store with a million attempts
answers in milliseconds, and none of them loads the attempts themselves. Times go in
and come out timezone-aware (UTC); a face converts them for display.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import polars as pl

from .scope import Selection, scope_query
from .settings import IntegrationSettings
from .status import recent_attempts
from .store import Store

__all__ = [
    "DEFAULT_BACKLOG_DAYS",
    "DEFAULT_FAILURES",
    "DEFAULT_LOG_ROWS",
    "DEFAULT_MINUTES",
    "Totals",
    "attempts_per_minute",
    "recent_failures",
    "relay_log",
    "totals",
    "unsent_by_day",
]

DEFAULT_MINUTES = 60
"""The window of `attempts_per_minute`: the last hour."""
DEFAULT_BACKLOG_DAYS = 30
"""Days of unsent backlog returned, newest first."""
DEFAULT_FAILURES = 20
"""Recent failures returned for an integration."""
LOG_COLUMNS = (
    "attempted_at",
    "integration",
    "submission_id",
    "request_id",
    "http_status",
    "outcome",
    "error_code",
    "error_title",
    "error_detail",
)
DEFAULT_LOG_ROWS = 100
"""Attempts in a relay log."""
MAX_MINUTES = 24 * 60


@dataclass(frozen=True)
class Totals:
    """Store-wide counts for a header line."""

    integrations: int
    """Integrations registered."""
    active: int
    """Of those, the ones that relay."""
    submissions: int
    """Submissions stored."""
    attempts: int
    """Relay attempts recorded (one per event per request, rejections included)."""
    delivered: int
    """Attempts Klaviyo accepted."""
    failed: int
    """Attempts that failed and counted towards a streak."""
    last_attempt_at: datetime | None
    """The newest attempt, or None when nothing was relayed yet."""
    integrations_changed_at: datetime | None
    """The last change to any integration (its settings or its relay state)."""

    @property
    def inactive(self) -> int:
        return self.integrations - self.active


def totals(store: Store) -> Totals:
    """Counts over the whole store, in one statement."""
    # sum() over a boolean cast reads the outcome column about twice as fast as
    # count(*) FILTER, which matters on a million attempts every two seconds.
    with store.connect() as con:
        row = con.execute(
            """
            SELECT (SELECT count(*) FROM integrations),
                   (SELECT count(*) FROM integrations WHERE active),
                   (SELECT count(*) FROM submissions),
                   count(*),
                   coalesce(sum((outcome = 'delivered')::INTEGER), 0),
                   coalesce(sum((outcome = 'failed')::INTEGER), 0),
                   max(attempted_at),
                   (SELECT max(updated_at) FROM integrations)
            FROM relay_attempts
            """
        ).fetchone()
    assert row is not None
    integrations, active, submissions, attempts, delivered, failed = (
        int(value) for value in row[:6]
    )
    return Totals(
        integrations=integrations,
        active=active,
        submissions=submissions,
        attempts=attempts,
        delivered=delivered,
        failed=failed,
        last_attempt_at=row[6],
        integrations_changed_at=row[7],
    )


def attempts_per_minute(
    store: Store,
    integration: str,
    *,
    until: datetime | None = None,
    minutes: int = DEFAULT_MINUTES,
) -> pl.DataFrame:
    """Attempts of one integration in each of the `minutes` minutes up to `until`.

    Every minute of the window has a row, oldest first, so a sparkline drawn from it has
    gaps where nothing was sent rather than squeezing the quiet minutes out. The minute
    holding `until` (default: now) is the last one.
    """
    if not 1 <= minutes <= MAX_MINUTES:
        raise ValueError(f"minutes must be from 1 to {MAX_MINUTES}, not {minutes}")
    end = _minute_floor(until or datetime.now(UTC)) + timedelta(minutes=1)
    start = end - timedelta(minutes=minutes)

    with store.connect() as con:
        frame: pl.DataFrame = con.sql(
            """
            WITH counted AS (
                SELECT date_trunc('minute', attempted_at) AS minute,
                       count(*) AS attempts,
                       sum((outcome = 'delivered')::INTEGER)::BIGINT AS delivered,
                       sum((outcome = 'failed')::INTEGER)::BIGINT AS failed,
                       sum((outcome = 'throttled')::INTEGER)::BIGINT AS throttled
                FROM relay_attempts
                WHERE attempted_at >= $start AND attempted_at < $end
                  AND integration = $name
                GROUP BY 1
            )
            SELECT b.minute,
                   coalesce(c.attempts, 0) AS attempts,
                   coalesce(c.delivered, 0) AS delivered,
                   coalesce(c.failed, 0) AS failed,
                   coalesce(c.throttled, 0) AS throttled
            FROM (SELECT unnest(range($start, $end, INTERVAL 1 MINUTE)) AS minute) b
            LEFT JOIN counted c ON c.minute = b.minute
            ORDER BY b.minute
            """,
            params={"name": integration, "start": start, "end": end},
        ).pl()
    return frame


def unsent_by_day(
    store: Store,
    settings: IntegrationSettings,
    *,
    days: int = DEFAULT_BACKLOG_DAYS,
) -> pl.DataFrame:
    """In-scope submissions with no delivered attempt, counted by their day of creation.

    The newest `days` days that have any backlog, newest first (a `day` date and an
    `unsent` count). The day is the UTC day of the submission's creation, the same day
    a push's `--since`/`--until` select.
    """
    inner, params = scope_query(
        settings,
        Selection(mode="unsent"),
        columns="CAST(s.created_at AS DATE) AS day",
        ordered=False,
    )
    with store.connect() as con:
        frame: pl.DataFrame = con.sql(
            f"""SELECT day, count(*) AS unsent FROM ({inner})
                GROUP BY day ORDER BY day DESC LIMIT ?""",
            params=[*params, days],
        ).pl()
    return frame


def recent_failures(
    store: Store, integration: str, *, limit: int = DEFAULT_FAILURES
) -> pl.DataFrame:
    """The newest failed attempts of one integration, with Klaviyo's error as given.

    Klaviyo answers an error with a code, a title and a detail; they are what tells an
    operator whether a key was revoked, a body was refused or the service was down.
    """
    with store.connect() as con:
        frame: pl.DataFrame = con.sql(
            """
            SELECT attempted_at, submission_id, endpoint, http_status, error_code,
                   error_title, error_detail
            FROM relay_attempts
            WHERE integration = ? AND outcome = 'failed'
            ORDER BY attempted_at DESC
            LIMIT ?
            """,
            params=[integration, limit],
        ).pl()
    return frame


def relay_log(
    store: Store,
    *,
    integration: str | None = None,
    outcome: str | None = None,
    limit: int = DEFAULT_LOG_ROWS,
) -> pl.DataFrame:
    """The newest attempts, in a stable order, with the columns the relay log shows."""
    attempts = recent_attempts(
        store, integration=integration, outcome=outcome, limit=limit
    )
    return attempts.select(LOG_COLUMNS)


def _minute_floor(moment: datetime) -> datetime:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).replace(second=0, microsecond=0)
