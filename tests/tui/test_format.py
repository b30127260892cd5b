"""How values read on screen."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from klaviyo_tui.format import (
    ago,
    at,
    check_range,
    count,
    parse_day,
    short,
    streak_cells,
)

NOW = datetime(2026, 4, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(0, "just now"), (42, "42s ago"), (180, "3m ago"), (5 * 3600, "5h ago"),
     (4 * 86_400 + 7, "4d ago")],
)  # fmt: skip
def test_ago_says_how_long_ago_in_one_unit(seconds: int, shown: str) -> None:
    assert ago(NOW - timedelta(seconds=seconds), NOW) == shown


def test_no_moment_reads_never() -> None:
    assert ago(None, NOW) == "never"
    assert at(None, NOW) == "never"


def test_at_gives_the_time_today_and_the_date_on_other_days() -> None:
    assert at(NOW - timedelta(hours=1), NOW) == "11:00:00"
    assert at(NOW - timedelta(days=2), NOW) == "2026-03-30 12:00"


def test_at_speaks_the_timezone_of_now() -> None:
    paris = NOW.astimezone(timezone(timedelta(hours=2)))
    assert at(NOW, paris) == "14:00:00"


def test_counts_have_separators_and_unknown_is_a_dash() -> None:
    assert count(1234567) == "1,234,567"
    assert count(None) == "-"


def test_short_cuts_with_an_ellipsis_on_one_line() -> None:
    assert short("a\nlong   text here", 10) == "a long te…"
    assert short("fits", 10) == "fits"
    assert short(None, 10) == ""


@pytest.mark.parametrize(
    ("failures", "threshold", "cells"),
    [(0, 5, (0, 5)), (3, 5, (3, 2)), (5, 5, (5, 0)), (9, 5, (5, 0)),
     (1, 50, (1, 9)), (25, 50, (5, 5))],
)  # fmt: skip
def test_the_streak_bar_is_drawn_to_scale(
    failures: int, threshold: int, cells: tuple[int, int]
) -> None:
    assert streak_cells(failures, threshold) == cells


def test_a_day_is_read_as_yyyy_mm_dd_and_empty_is_none() -> None:
    assert parse_day(" 2026-03-01 ", label="Since") == date(2026, 3, 1)
    assert parse_day("", label="Since") is None


@pytest.mark.parametrize("text", ["03/01/2026", "2026-3-1", "2026-02-30", "soon"])
def test_a_day_in_another_shape_is_refused_by_name(text: str) -> None:
    with pytest.raises(ValueError, match=r"Until .* is not a date: write it as YYYY"):
        parse_day(text, label="Until")


def test_an_inverted_range_is_refused_and_one_day_is_allowed() -> None:
    with pytest.raises(ValueError, match=r"inverted: 2026-03-10 is after 2026-03-01"):
        check_range(date(2026, 3, 10), date(2026, 3, 1))
    check_range(date(2026, 3, 1), date(2026, 3, 1))
    check_range(None, date(2026, 3, 1))
