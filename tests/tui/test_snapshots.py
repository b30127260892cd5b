"""Snapshots of the screens on the fixed store, with `now` frozen.

Update them with `pytest tests/tui/test_snapshots.py --snapshot-update` after a change
to the look, and review the SVG files it writes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from klaviyo_tui.app import KlaviyoTui
from textual.widgets import Input

from .conftest import NEVER
from .helpers import AppPilot, select_row, settle
from .stores import NOW

SIZE = (130, 38)
Compare = Callable[..., bool]


def _app(db: Path) -> KlaviyoTui:
    return KlaviyoTui(db, now=lambda: NOW, poll_interval=NEVER)


def test_the_main_screen(snap_compare: Compare, fixed_db: Path) -> None:
    assert snap_compare(_app(fixed_db), terminal_size=SIZE, run_before=settle)


def test_the_detail_screen_of_an_inactive_integration(
    snap_compare: Compare, fixed_db: Path
) -> None:
    async def open_old_key(pilot: AppPilot) -> None:
        await settle(pilot)
        await select_row(pilot, "old-key")
        await pilot.press("enter")
        await settle(pilot)

    assert snap_compare(_app(fixed_db), terminal_size=SIZE, run_before=open_old_key)


def test_the_push_form_refusing_an_inverted_range(
    snap_compare: Compare, fixed_db: Path
) -> None:
    async def inverted(pilot: AppPilot) -> None:
        await settle(pilot)
        await select_row(pilot, "main")
        await pilot.press("u")
        pilot.app.screen.query_one("#since", Input).value = "2026-03-31"
        pilot.app.screen.query_one("#until", Input).value = "2026-03-25"
        await pilot.press("enter")

    assert snap_compare(_app(fixed_db), terminal_size=SIZE, run_before=inverted)
