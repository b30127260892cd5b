"""The main screen: integrations, the relay log, totals, and the empty state."""

from __future__ import annotations

from pathlib import Path

import pytest
from klaviyo_tui.app import KlaviyoTui
from klaviyo_tui.source import LOG_ROWS
from klaviyo_tui.widgets import EmptyState, IntegrationsTable
from textual.widgets import Select

from klaviyo_toolkit import Clock, PushOptions, Toolkit
from klaviyo_toolkit.simulator import Simulator

from .conftest import NEVER, SIZE
from .helpers import log_rows, refresh, row_text, screen_text, settle


async def test_an_empty_store_says_how_to_add_an_integration(tmp_path: Path) -> None:
    app = KlaviyoTui(tmp_path / "empty.duckdb", poll_interval=NEVER)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)

        empty = app.screen.query_one(EmptyState)
        text = str(empty.content)
        assert "No integrations yet" in text
        assert f"--db {app.db} integration add NAME --api-key-env VAR" in text
        assert "klaviyo-tui --demo" in text
        assert empty.display
        assert "No integrations yet" in screen_text(pilot)
        assert not app.screen.query_one(IntegrationsTable).display
        assert app.errors == []


async def test_each_integration_shows_its_state_streak_and_counts(
    app: KlaviyoTui, seeded: Toolkit
) -> None:
    status = {row["name"]: row for row in seeded.status().to_dicts()}
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)

        field = row_text(pilot, "field-team")
        assert "● active" in field
        assert "□□□□□ 0/5" in field
        assert f"{status['field-team']['delivered']:,}" in field
        revoked = row_text(pilot, "revoked-key")
        assert "○ inactive" in revoked
        assert "5 failed relay attempts in a row" in revoked
        assert "■■■■■ 5/5" in revoked
        assert "401" in revoked


async def test_the_header_totals_the_store_and_says_when_it_was_read(
    app: KlaviyoTui, seeded: Toolkit
) -> None:
    attempts = seeded.attempts(limit=100_000).height
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)

        text = screen_text(pilot)
        assert "2 active, 1 inactive" in text
        assert f"{attempts:,} attempts: " in text
        assert "refreshed " in text


async def test_an_integration_crossing_the_threshold_shows_inactive_after_one_refresh(
    app: KlaviyoTui, seeded: Toolkit, simulator: Simulator, clock: Clock
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "● active" in row_text(pilot, "flaky")

        simulator.fail_next(20, status=503)
        report = seeded.push("flaky", options=PushOptions(clock=clock))
        assert report.inactive
        before = app.refreshes
        await refresh(pilot)

        assert app.refreshes == before + 1
        flaky = row_text(pilot, "flaky")
        assert "○ inactive" in flaky
        assert "■■■■■ 5/5" in flaky
        assert "503" in flaky


async def test_the_relay_log_lists_the_newest_attempts_first(app: KlaviyoTui) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)

        rows = log_rows(pilot)
        assert 0 < len(rows) <= LOG_ROWS
        assert rows[0][1] == "revoked-key"
        assert rows[0][4] in ("failed", "rejected")


@pytest.mark.parametrize("outcome", ["delivered", "failed"])
async def test_the_relay_log_filters_by_outcome(app: KlaviyoTui, outcome: str) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)

        app.screen.query_one("#log-outcome", Select).value = outcome
        await settle(pilot)

        rows = log_rows(pilot)
        assert rows
        assert {row[4] for row in rows} == {outcome}


async def test_the_relay_log_filters_by_integration(app: KlaviyoTui) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)

        app.screen.query_one("#log-integration", Select).value = "field-team"
        await settle(pilot)

        rows = log_rows(pilot)
        assert rows
        assert {row[1] for row in rows} == {"field-team"}
