"""Pilot helpers: wait for the app's workers, read what is on screen."""

from __future__ import annotations

import io
from collections.abc import Callable

from klaviyo_tui.app import KlaviyoTui
from klaviyo_tui.widgets import IntegrationsTable
from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import DataTable

TRIES = 400
"""Bound on every wait: a condition that never comes fails instead of hanging."""
STEP = 0.02
"""Seconds between two looks at a condition another thread or process brings."""

AppPilot = Pilot[None]


def app_of(pilot: AppPilot) -> KlaviyoTui:
    app = pilot.app
    assert isinstance(app, KlaviyoTui)
    return app


async def settle(pilot: AppPilot) -> None:
    """Until no worker runs and every message they posted has been handled."""
    app = pilot.app
    for _ in range(TRIES):
        await app.workers.wait_for_complete()
        await pilot.pause()
        if not any(worker.is_running for worker in app.workers):
            await pilot.pause()
            return
    raise AssertionError("the app's workers did not settle")


async def refresh(pilot: AppPilot) -> None:
    """One refresh, counts included, and its results drawn."""
    await settle(pilot)
    app_of(pilot).action_refresh_now()
    await settle(pilot)


async def until(
    pilot: AppPilot, condition: Callable[[], bool], *, what: str, tries: int = TRIES
) -> None:
    """Let the app run until `condition` holds, looking at most `tries` times."""
    for _ in range(tries):
        if condition():
            return
        await pilot.pause(STEP)
    raise AssertionError(f"never happened: {what}")


def screen_text(pilot: AppPilot) -> str:
    """Everything the terminal shows now, as plain text, dialogs and all."""
    app = pilot.app
    width, height = app.size
    console = Console(
        width=width,
        height=height,
        file=io.StringIO(),
        record=True,
        force_terminal=True,
        legacy_windows=False,
        safe_box=False,
    )
    console.print(
        app.screen._compositor.render_update(
            full=True, screen_stack=app._background_screens
        )
    )
    return console.export_text()


def row_text(pilot: AppPilot, name: str) -> str:
    """One integration's row in the main table, its cells joined by ' | '."""
    table = pilot.app.screen.query_one(IntegrationsTable)
    return " | ".join(str(cell) for cell in table.get_row(name))


def log_rows(pilot: AppPilot) -> list[list[str]]:
    table: DataTable[object] = pilot.app.screen.query_one("#log-table", DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def select_row(pilot: AppPilot, name: str) -> None:
    table = pilot.app.screen.query_one(IntegrationsTable)
    table.focus()
    table.move_cursor(row=table.get_row_index(name), animate=False)
    await pilot.pause()
