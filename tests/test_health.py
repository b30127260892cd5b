"""Relay health: totals, attempts per minute, backlog by day, recent failures."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from klaviyo_toolkit import Toolkit
from klaviyo_toolkit.health import (
    attempts_per_minute,
    recent_failures,
    relay_log,
    totals,
    unsent_by_day,
)

from .conftest import camel, write_jsonl

NOON = datetime(2026, 4, 1, 12, 0, tzinfo=UTC)


def _attempt(
    tk: Toolkit, name: str, sub: str, moment: datetime, outcome: str, code: str = ""
) -> None:
    status = {"delivered": 202, "throttled": 429, "failed": 503}.get(outcome)
    with tk.store.transaction() as con:
        con.execute(
            "INSERT INTO relay_attempts VALUES (?, ?, 'p', ?, ?, 'event', 'unsent', ?, "
            "?, ?, ?, ?, 1.0)",
            [name, sub, f"r-{moment.timestamp()}", moment, status, outcome,
             code or None, f"title {code}" if code else None,
             f"detail {code}" if code else None],
        )  # fmt: skip


@pytest.fixture
def store(tk: Toolkit, tmp_path: Path) -> Toolkit:
    rows = [
        camel("s-1", createdAt="2026-03-01T08:00:00Z"),
        camel("s-2", createdAt="2026-03-01T23:30:00Z"),
        camel("s-3", createdAt="2026-03-02T00:30:00Z"),
        camel("s-4", createdAt="2026-03-03T10:00:00Z", actionPageId="page-9"),
    ]
    tk.ingest(write_jsonl(tmp_path / "rows.jsonl", rows))
    tk.add_integration("main", api_key_env="KEY", excluded_pages="page-9")
    tk.add_integration("other", api_key_env="KEY")
    return tk


def test_totals_of_an_empty_store_are_zero(tk: Toolkit) -> None:
    empty = totals(tk.store)
    assert (empty.integrations, empty.attempts, empty.submissions) == (0, 0, 0)
    assert empty.last_attempt_at is None


def test_totals_count_integrations_submissions_and_outcomes(store: Toolkit) -> None:
    store.pause("other")
    _attempt(store, "main", "s-1", NOON, "delivered")
    _attempt(store, "main", "s-2", NOON + timedelta(seconds=1), "failed", "e")
    _attempt(store, "main", "s-2", NOON + timedelta(seconds=2), "throttled")

    found = totals(store.store)

    assert (found.integrations, found.active, found.inactive) == (2, 1, 1)
    assert found.submissions == 4
    assert (found.attempts, found.delivered, found.failed) == (3, 1, 1)
    assert found.last_attempt_at == NOON + timedelta(seconds=2)


def test_attempts_per_minute_has_a_row_for_every_minute(store: Toolkit) -> None:
    two_minutes_before = NOON - timedelta(minutes=2)
    _attempt(store, "main", "s-1", two_minutes_before, "delivered")
    _attempt(store, "main", "s-2", two_minutes_before + timedelta(seconds=59), "failed")
    _attempt(store, "main", "s-3", NOON + timedelta(seconds=30), "delivered")
    _attempt(store, "other", "s-1", NOON, "delivered")
    _attempt(store, "main", "s-1", NOON - timedelta(hours=2), "delivered")

    frame = attempts_per_minute(
        store.store, "main", until=NOON + timedelta(seconds=40), minutes=5
    )

    assert frame.height == 5
    assert frame.get_column("minute").to_list()[-1] == NOON
    assert frame.get_column("attempts").to_list() == [0, 0, 2, 0, 1]
    assert frame.get_column("failed").to_list() == [0, 0, 1, 0, 0]


def test_attempts_per_minute_refuses_a_window_it_cannot_draw(store: Toolkit) -> None:
    with pytest.raises(ValueError, match="minutes"):
        attempts_per_minute(store.store, "main", until=NOON, minutes=0)


def test_unsent_backlog_is_counted_by_utc_day_newest_first(store: Toolkit) -> None:
    _attempt(store, "main", "s-1", NOON, "delivered")
    _attempt(store, "main", "s-3", NOON, "failed")

    backlog = unsent_by_day(store.store, store.integration("main").settings)

    assert backlog.rows() == [(date(2026, 3, 2), 1), (date(2026, 3, 1), 1)]


def test_unsent_backlog_keeps_the_newest_days(store: Toolkit) -> None:
    backlog = unsent_by_day(store.store, store.integration("other").settings, days=2)
    assert backlog.get_column("day").to_list() == [date(2026, 3, 3), date(2026, 3, 2)]


def test_recent_failures_are_the_newest_of_one_integration(store: Toolkit) -> None:
    for second in range(5):
        moment = NOON + timedelta(seconds=second)
        _attempt(store, "main", "s-2", moment, "failed", f"code-{second}")
    _attempt(store, "other", "s-2", NOON + timedelta(minutes=1), "failed", "x")
    _attempt(store, "main", "s-1", NOON + timedelta(minutes=1), "delivered")

    failures = recent_failures(store.store, "main", limit=3)

    assert failures.get_column("error_code").to_list() == ["code-4", "code-3", "code-2"]
    assert failures.row(0, named=True)["error_detail"] == "detail code-4"
    assert failures.row(0, named=True)["http_status"] == 503


def test_the_relay_log_is_newest_first_and_filtered(store: Toolkit) -> None:
    _attempt(store, "main", "s-1", NOON, "delivered")
    _attempt(store, "main", "s-2", NOON + timedelta(seconds=1), "failed", "e")
    _attempt(store, "other", "s-3", NOON + timedelta(seconds=2), "delivered")

    everything = relay_log(store.store)
    failed = relay_log(store.store, integration="main", outcome="failed")

    assert everything.get_column("submission_id").to_list() == ["s-3", "s-2", "s-1"]
    assert failed.get_column("submission_id").to_list() == ["s-2"]
    assert relay_log(store.store, limit=1).height == 1


def test_attempts_written_together_keep_one_order(store: Toolkit) -> None:
    with store.store.transaction() as con:
        con.execute(
            """INSERT INTO relay_attempts SELECT 'main', 's-' || i, 'p', 'batch', ?,
               'bulk', 'unsent', 202, 'delivered', NULL, NULL, NULL, 1.0
               FROM range(50) t(i)""",
            [NOON],
        )

    orders = {tuple(relay_log(store.store).get_column("submission_id")) for _ in "abc"}

    assert len(orders) == 1


def test_the_core_reads_health_without_a_ui() -> None:
    code = "import sys, klaviyo_toolkit.health; print('textual' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
