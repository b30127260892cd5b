"""`klaviyo-tui --demo`: the demo runs in the app and leaves a simulator to push to."""

from __future__ import annotations

from pathlib import Path

from klaviyo_tui.app import KlaviyoTui

from klaviyo_toolkit import Clock

from ..conftest import FAST
from .conftest import NEVER, SIZE
from .helpers import log_rows, row_text, select_row, settle


async def test_the_demo_relays_and_turns_the_revoked_key_inactive(
    tmp_path: Path,
) -> None:
    app = KlaviyoTui(
        tmp_path / "demo.duckdb", demo=True, clock=Clock(FAST), poll_interval=NEVER
    )
    assert app.demo is not None
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)

        assert "○ inactive" in row_text(pilot, "revoked-key")
        assert "■■■■■ 5/5" in row_text(pilot, "revoked-key")
        assert "● active" in row_text(pilot, "field-team")
        assert log_rows(pilot)
        simulator = app.demo.simulator
        assert simulator is not None
        accepted = simulator.stats().accepted_events
        assert accepted > 0

        await select_row(pilot, "field-team")
        await pilot.press("a", "enter", "y")
        await settle(pilot)
        assert simulator.stats().duplicate_events > 0
        assert app.errors == []

    assert app.demo.simulator is None
