"""Which submissions an integration relays, and what it has done with them.

Scope is Anedot's rule: the integration's pages (all by default), minus its excluded
pages, within its team when it has one; a submission's team is its own or else its
page's, from `action_pages`. A push narrows that further by mode (`unsent` or `all`), by
a date range over the submission's creation time, and, from the notebook, by kind or
payment status. Every value reaches DuckDB as a parameter, so a page id with quotes in
it is matched as the literal text it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from .errors import ConfigError
from .settings import IntegrationSettings, parse_page_ids

__all__ = ["Mode", "Selection", "parse_moment", "scope_query"]

Mode = Literal["unsent", "all"]


@dataclass(frozen=True)
class Selection:
    """What one push (or dry run) takes from an integration's scope."""

    mode: Mode = "unsent"
    """'unsent': not yet delivered by this integration; 'all': everything in scope."""
    since: datetime | None = None
    """Created at or after this moment."""
    until: datetime | None = None
    """Created before this moment."""
    kind: Literal["donation", "lead"] | None = None
    payment_status: str | None = None
    pages: tuple[str, ...] | None = None
    """A further restriction to these pages, inside the integration's scope."""
    submission_ids: tuple[str, ...] | None = None
    """Exactly these submissions (still within scope)."""

    def __post_init__(self) -> None:
        if self.mode not in ("unsent", "all"):
            raise ConfigError(f"The mode must be 'unsent' or 'all', not {self.mode!r}.")
        if self.since and self.until and self.since >= self.until:
            raise ConfigError(
                f"The date range is empty: {self.since:%Y-%m-%d %H:%M} is not before "
                f"{self.until:%Y-%m-%d %H:%M}."
            )
        if self.kind not in (None, "donation", "lead"):
            raise ConfigError(
                f"The kind must be 'donation' or 'lead', not {self.kind!r}."
            )


def parse_moment(
    value: str | date | datetime | None, *, end: bool = False
) -> datetime | None:
    """'2026-03-01' or an ISO date-time, in UTC; a bare date as an end means its end.

    With `end=True` a date names the whole day, so `--until 2026-03-31` includes
    March 31.
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        day = datetime.combine(value, time(), tzinfo=UTC)
        return day + timedelta(days=1) if end else day
    text = value.strip()
    try:
        if len(text) == 10:
            return parse_moment(date.fromisoformat(text), end=end)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(
            f"{value!r} is not a date: write it as YYYY-MM-DD or an ISO 8601 "
            "date and time."
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def scope_query(
    settings: IntegrationSettings,
    selection: Selection,
    *,
    columns: str = "s.submission_id",
    ordered: bool = True,
) -> tuple[str, list[object]]:
    """SQL and parameters for the submissions a push would take, oldest first."""
    conditions = ["TRUE"]
    params: list[object] = []

    if settings.pages is not None:
        conditions.append("list_contains(?::VARCHAR[], s.action_page_id)")
        params.append(list(settings.pages))
    if settings.excluded_pages:
        conditions.append(
            "(s.action_page_id IS NULL"
            " OR NOT list_contains(?::VARCHAR[], s.action_page_id))"
        )
        params.append(list(settings.excluded_pages))
    if settings.team is not None:
        conditions.append("coalesce(s.team, p.team) = ?")
        params.append(settings.team)
    if settings.account is not None:
        conditions.append("(s.account_name = ? OR s.account_uid = ?)")
        params.extend([settings.account, settings.account])

    _narrow(selection, conditions, params)
    if selection.mode == "unsent":
        conditions.append(
            """NOT EXISTS (SELECT 1 FROM relay_attempts a
               WHERE a.integration = ? AND a.submission_id = s.submission_id
               AND a.outcome = 'delivered')"""
        )
        params.append(settings.name)

    sql = f"""
        SELECT {columns}
        FROM submissions s LEFT JOIN action_pages p ON p.page_id = s.action_page_id
        WHERE {" AND ".join(conditions)}
        {"ORDER BY s.created_at, s.submission_id" if ordered else ""}
    """
    return sql, params


def _narrow(selection: Selection, conditions: list[str], params: list[object]) -> None:
    if selection.since is not None:
        conditions.append("s.created_at >= ?")
        params.append(selection.since)
    if selection.until is not None:
        conditions.append("s.created_at < ?")
        params.append(selection.until)
    if selection.kind is not None:
        conditions.append("s.kind = ?")
        params.append(selection.kind)
    if selection.payment_status is not None:
        conditions.append("s.status = ?")
        params.append(selection.payment_status)
    if selection.pages is not None:
        conditions.append("list_contains(?::VARCHAR[], s.action_page_id)")
        params.append(list(parse_page_ids(selection.pages, what="page")))
    if selection.submission_ids is not None:
        conditions.append("list_contains(?::VARCHAR[], s.submission_id)")
        params.append(list(selection.submission_ids))
