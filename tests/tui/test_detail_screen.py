"""The detail screen: scope, masked key, failures, activity and backlog."""

from __future__ import annotations

from pathlib import Path

from klaviyo_tui.app import KlaviyoTui
from klaviyo_tui.screens.detail import DetailScreen
from klaviyo_tui.screens.main import MainScreen
from klaviyo_tui.widgets import ActivityChart, FailuresTable
from textual.widgets import Sparkline

from klaviyo_toolkit import Toolkit

from .conftest import NEVER, SIZE
from .helpers import screen_text, select_row, settle
from .stores import NOW


async def test_enter_opens_the_detail_and_escape_goes_back(app: KlaviyoTui) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await select_row(pilot, "revoked-key")

        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)
        assert app.screen.integration == "revoked-key"

        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


async def test_the_detail_shows_klaviyos_error_for_failures(
    app: KlaviyoTui,
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await select_row(pilot, "revoked-key")
        await pilot.press("enter")
        await settle(pilot)

        failures = app.screen.query_one(FailuresTable)
        assert failures.row_count == 5
        first = [str(cell) for cell in failures.get_row_at(0)]
        assert first[1:4] == [
            "401",
            "not_authenticated",
            "Authentication credentials were…",
        ]
        assert "private key" in first[4]
        text = screen_text(pilot)
        assert "inactive since" in text
        assert "5 failed relay attempts in a row" in text


async def test_the_detail_shows_scope_backlog_and_activity(fixed_db: Path) -> None:
    app = KlaviyoTui(fixed_db, now=lambda: NOW, poll_interval=NEVER)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await select_row(pilot, "field-team")
        await pilot.press("enter")
        await settle(pilot)

        text = screen_text(pilot)
        assert "Team  Field" in text
        assert "Excluded  page-3" in text
        assert "Key  pk_...team" in text
        assert "2026-03-31  " in text
        spark = app.screen.query_one(ActivityChart).query_one(Sparkline)
        assert spark.data is not None
        assert len(spark.data) == 60
        assert sum(spark.data) == 11


async def test_an_environment_key_shows_as_its_variable(fixed_db: Path) -> None:
    app = KlaviyoTui(fixed_db, now=lambda: NOW, poll_interval=NEVER)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await select_row(pilot, "main")
        await pilot.press("enter")
        await settle(pilot)

        assert "Key  $KLAVIYO_MAIN_KEY" in screen_text(pilot)


async def test_reactivating_from_the_detail_screen(
    app: KlaviyoTui, seeded: Toolkit
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await select_row(pilot, "revoked-key")
        await pilot.press("enter")
        await settle(pilot)

        await pilot.press("r", "y")
        await settle(pilot)

        assert seeded.integration("revoked-key").active
        assert "State  active" in screen_text(pilot)
