"""How values read on screen: times, counts, streaks and the dates an operator types.

Plain functions with no Textual in them, so each rule is tested on its own. Every time
is shown relative to the app's `now`, which tests freeze; the timezone of `now` is the
one the screen speaks.
"""

from __future__ import annotations

from datetime import date, datetime

__all__ = [
    "DATE_HINT",
    "ago",
    "at",
    "check_range",
    "count",
    "parse_day",
    "short",
    "streak_cells",
]

DATE_HINT = "YYYY-MM-DD"
STREAK_WIDTH = 10
"""A streak bar never grows wider than this; a larger threshold is drawn to scale."""


def at(moment: datetime | None, now: datetime) -> str:
    """'14:02:11' on the day of `now`, else '2026-03-03 14:02', in the zone of `now`."""
    if moment is None:
        return "never"
    local = moment.astimezone(now.tzinfo)
    if local.date() == now.date():
        return f"{local:%H:%M:%S}"
    return f"{local:%Y-%m-%d %H:%M}"


def ago(moment: datetime | None, now: datetime) -> str:
    """'just now', '42s ago', '3m ago', '5h ago', '4d ago'; 'never' for no moment."""
    if moment is None:
        return "never"
    seconds = int((now - moment).total_seconds())
    if seconds < 5:
        return "just now"
    for size, unit in ((86_400, "d"), (3_600, "h"), (60, "m")):
        if seconds >= size:
            return f"{seconds // size}{unit} ago"
    return f"{seconds}s ago"


def count(value: object) -> str:
    """A count with thousands separators; an unknown count is a dash."""
    if value is None:
        return "-"
    return f"{int(str(value)):,}"


def short(text: str | None, width: int) -> str:
    """One line of at most `width` characters, cut with an ellipsis."""
    if not text:
        return ""
    line = " ".join(text.split())
    return line if len(line) <= width else line[: max(0, width - 1)] + "…"


def streak_cells(failures: int, threshold: int) -> tuple[int, int]:
    """(filled, empty) cells of a streak bar: failures against the threshold."""
    width = min(threshold, STREAK_WIDTH)
    if threshold <= 0:
        return (0, 0)
    filled = min(width, round(width * min(failures, threshold) / threshold))
    if failures > 0 and filled == 0:
        filled = 1
    return (filled, width - filled)


def parse_day(text: str, *, label: str) -> date | None:
    """A YYYY-MM-DD day, None for an empty field; a ValueError says what is wrong."""
    value = text.strip()
    if not value:
        return None
    try:
        if len(value) != len(DATE_HINT):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(
            f"{label} {value!r} is not a date: write it as {DATE_HINT}, "
            "like 2026-03-01."
        ) from None


def check_range(since: date | None, until: date | None) -> None:
    """Refuse an inverted range: both days are included, so equal days are one day."""
    if since is not None and until is not None and since > until:
        raise ValueError(
            f"The range is inverted: {since} is after {until}. "
            "Put the earlier day in Since."
        )
