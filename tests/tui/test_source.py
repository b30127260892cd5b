"""The TUI's reads: when counts are read again, what a busy store is."""

from __future__ import annotations

from datetime import date

from klaviyo_tui.source import CountsSchedule, PushRequest, is_busy

from klaviyo_toolkit import StoreBusy, StoreError

FIRST = (3, 100, 500, None)
LATER = (3, 100, 510, None)


def _schedule_after_a_read(took: float) -> CountsSchedule:
    schedule = CountsSchedule(duty=0.2, max_age=60.0)
    schedule.record(FIRST, None, started=100.0, took=took)
    return schedule


def test_counts_are_read_first_and_when_the_detail_changes() -> None:
    schedule = CountsSchedule()
    assert schedule.due(FIRST, None, clock=0.0)
    schedule.record(FIRST, None, started=0.0, took=0.01)
    assert schedule.due(FIRST, "flaky", clock=0.1)


def test_unchanged_counts_are_not_read_again_until_they_are_old() -> None:
    schedule = _schedule_after_a_read(took=0.01)
    assert not schedule.due(FIRST, None, clock=110.0)
    assert schedule.due(FIRST, None, clock=160.0)


def test_a_change_is_read_but_never_more_than_a_fifth_of_the_time() -> None:
    schedule = _schedule_after_a_read(took=1.0)
    assert not schedule.due(LATER, None, clock=104.0)
    assert schedule.due(LATER, None, clock=105.0)


def test_forgetting_makes_the_next_refresh_read_the_counts() -> None:
    schedule = _schedule_after_a_read(took=1.0)
    schedule.forget()
    assert schedule.due(FIRST, None, clock=100.5)


def test_a_lock_is_busy_and_other_store_errors_are_not() -> None:
    assert is_busy(StoreBusy("held"))
    assert is_busy(StoreError("The database x cannot be used: Could not set lock"))
    assert not is_busy(StoreError("The folder x for the database does not exist."))


def test_a_push_request_describes_itself() -> None:
    assert PushRequest("main").describe() == "unsent submissions of main, of any date"
    ranged = PushRequest("main", "all", date(2026, 3, 1), None)
    assert ranged.describe() == "all submissions of main, created 2026-03-01 to today"
