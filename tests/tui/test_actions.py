"""Actions from the keyboard: each confirmed first, each run off the UI thread."""

from __future__ import annotations

import polars as pl
from klaviyo_tui.app import KlaviyoTui
from klaviyo_tui.screens.dialogs import ConfirmScreen, PushForm, ScopeForm
from klaviyo_tui.screens.main import MainScreen
from klaviyo_tui.widgets import PushPanel
from textual.widgets import Input, ProgressBar

from klaviyo_toolkit import Clock, PushOptions, Toolkit
from klaviyo_toolkit.simulator import Simulator

from .conftest import SIZE
from .helpers import AppPilot, row_text, screen_text, select_row, settle, until


def _flaky_ids(tk: Toolkit) -> set[str]:
    frame = tk.submissions(integration="flaky")
    return set(frame.get_column("submission_id").to_list())


async def _type(pilot: AppPilot, field: str, text: str) -> None:
    pilot.app.screen.query_one(f"#{field}", Input).value = text
    await pilot.pause()


async def _fail_flaky(
    tk: Toolkit, simulator: Simulator, clock: Clock, pilot: AppPilot
) -> None:
    simulator.fail_next(20, status=503)
    assert tk.push("flaky", options=PushOptions(clock=clock)).inactive
    simulator.reset()
    pilot.app.action_refresh_now()  # type: ignore[attr-defined]
    await settle(pilot)


async def test_reactivating_from_the_tui_lets_the_next_push_send_again(
    app: KlaviyoTui, seeded: Toolkit, simulator: Simulator, clock: Clock
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await _fail_flaky(seeded, simulator, clock, pilot)
        assert "○ inactive" in row_text(pilot, "flaky")

        await select_row(pilot, "flaky")
        await pilot.press("r")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert seeded.integration("flaky").active
        assert "● active" in row_text(pilot, "flaky")

        await pilot.press("u")
        assert isinstance(app.screen, PushForm)
        await pilot.press("enter")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)

        sent = set(simulator.unique_ids())
        assert sent
        assert sent <= _flaky_ids(seeded)
        assert seeded.integration("flaky").consecutive_failures == 0


async def test_the_push_form_refuses_an_inverted_range(
    app: KlaviyoTui, simulator: Simulator
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await select_row(pilot, "flaky")

        await pilot.press("u")
        form = app.screen
        assert isinstance(form, PushForm)
        await _type(pilot, "since", "2026-03-10")
        await _type(pilot, "until", "2026-03-01")
        await pilot.press("enter")

        assert "inverted" in form.error
        assert "2026-03-10 is after 2026-03-01" in form.error
        assert app.screen is form
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        assert simulator.stats().requests == 0


async def test_the_push_form_refuses_a_date_in_another_shape(app: KlaviyoTui) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await select_row(pilot, "flaky")

        await pilot.press("u")
        await _type(pilot, "since", "03/01/2026")
        await pilot.press("enter")

        form = app.screen
        assert isinstance(form, PushForm)
        assert "YYYY-MM-DD" in form.error


async def test_push_all_sends_only_the_range_and_shows_progress(
    app: KlaviyoTui, seeded: Toolkit, simulator: Simulator
) -> None:
    in_range = seeded.submissions(
        integration="flaky", since="2026-02-01", until="2026-02-28"
    )
    expected = set(
        in_range.filter(pl.col("email").is_not_null()).get_column("submission_id")
    )
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await select_row(pilot, "flaky")

        await pilot.press("a")
        await _type(pilot, "since", "2026-02-01")
        await _type(pilot, "until", "2026-02-28")
        await pilot.press("enter")
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen)
        # Slow answers keep the push running long enough to watch its progress.
        simulator.set_faults(latency=100.0)
        await pilot.press("y")
        panel = app.screen.query_one(PushPanel)
        bar = panel.query_one(ProgressBar)
        await until(pilot, lambda: panel.display, what="the push panel shows")
        await until(pilot, lambda: (bar.progress or 0) > 0, what="the bar advances")
        assert bar.total == len(in_range)
        await settle(pilot)

        assert set(simulator.unique_ids()) == expected
        assert not panel.display
        assert not app.pushing


async def test_pausing_asks_first_and_then_stops_the_integration(
    app: KlaviyoTui, seeded: Toolkit
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await select_row(pilot, "field-team")

        await pilot.press("p")
        await pilot.press("n")
        await settle(pilot)
        assert seeded.integration("field-team").active

        await pilot.press("p", "y")
        await settle(pilot)
        paused = seeded.integration("field-team")
        assert not paused.active
        assert paused.inactive_reason == "paused from klaviyo-tui"
        assert "paused from klaviyo-tui" in row_text(pilot, "field-team")


async def test_the_scope_form_saves_pages_exclusions_and_team(
    app: KlaviyoTui, seeded: Toolkit
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await select_row(pilot, "field-team")

        await pilot.press("e")
        assert isinstance(app.screen, ScopeForm)
        await _type(pilot, "pages", "all")
        await _type(pilot, "excluded", "p-1, p-2")
        await _type(pilot, "team", "Digital")
        await pilot.press("enter", "y")
        await settle(pilot)

        settings = seeded.integration("field-team").settings
        assert settings.pages is None
        assert settings.excluded_pages == ("p-1", "p-2")
        assert settings.team == "Digital"


async def test_the_scope_form_refuses_page_ids_it_cannot_read(
    app: KlaviyoTui, seeded: Toolkit
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await select_row(pilot, "field-team")

        await pilot.press("e")
        await _type(pilot, "excluded", "p-1,,p-2")
        await pilot.press("enter")

        form = app.screen
        assert isinstance(form, ScopeForm)
        assert "empty item at position 2" in form.error
        assert seeded.integration("field-team").settings.excluded_pages == ()


async def test_a_running_push_stops_on_s_and_records_what_it_sent(
    app: KlaviyoTui, seeded: Toolkit, simulator: Simulator
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await select_row(pilot, "field-team")
        simulator.set_faults(latency=200.0)

        assert "Stop push" not in screen_text(pilot)

        await pilot.press("a", "enter", "y")
        bar = app.screen.query_one(PushPanel).query_one(ProgressBar)
        await until(pilot, lambda: (bar.progress or 0) > 0, what="the push sends")
        assert "s Stop push" in screen_text(pilot)
        await pilot.press("s")
        await settle(pilot)

        assert not app.pushing
        assert "Stop push" not in screen_text(pilot)
        selected = seeded.submissions(integration="field-team").height
        recorded = seeded.attempts("field-team", limit=100_000)
        pushed_now = recorded.filter(pl.col("mode") == "all").height
        assert 0 < pushed_now < selected


async def test_quitting_during_a_push_asks_and_then_stops_it(
    app: KlaviyoTui, simulator: Simulator
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await select_row(pilot, "field-team")
        simulator.set_faults(latency=200.0)
        await pilot.press("a", "enter", "y")
        await until(pilot, lambda: app.pushing, what="the push starts")

        await pilot.press("q")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await pilot.pause()

        assert app._run is not None and app._run.stopped
        assert app.return_code == 0
