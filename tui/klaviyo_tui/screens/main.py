"""The main screen: totals, the integrations table and the live relay log."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.widgets import DataTable, Footer, Label

from ..messages import ActionRequested
from ..source import Counts, Live
from ..widgets import (
    EmptyState,
    IntegrationsTable,
    Notice,
    PushPanel,
    RelayLog,
    SummaryLine,
)
from .base import WatchScreen

__all__ = ["MainScreen"]


class MainScreen(WatchScreen):
    """Every integration at a glance; Enter (or d) opens one."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("d", "act('details')", "Details", show=False),
        *WatchScreen.BINDINGS,
        Binding("l", "focus_log", "Filter log"),
    ]

    def __init__(self, db: str) -> None:
        super().__init__()
        self._db = db
        self._live: Live | None = None
        self._counts: Counts | None = None

    def compose(self) -> ComposeResult:
        yield Label(Content(f"klaviyo-tui  {Path(self._db).name}"), id="title")
        yield SummaryLine(id="summary")
        yield Notice(id="notice")
        yield EmptyState(id="empty")
        yield IntegrationsTable(id="integrations")
        yield PushPanel(id="push-panel")
        yield RelayLog(id="relay-log")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(Notice).clear()
        self.query_one(EmptyState).for_db(self._db)
        self.query_one(EmptyState).display = False
        self.query_one(IntegrationsTable).focus()

    def target(self) -> str | None:
        return self.query_one(IntegrationsTable).selected

    @property
    def log_filter_widget(self) -> RelayLog:
        return self.query_one(RelayLog)

    def show_live(self, live: Live, refreshed: datetime) -> None:
        self._live = live
        self.query_one(SummaryLine).show(live.totals, refreshed)
        empty = not live.integrations
        self.query_one(EmptyState).display = empty
        self.query_one(IntegrationsTable).display = not empty
        self.query_one(IntegrationsTable).show(
            live.integrations, self._counts, refreshed
        )
        log = self.query_one(RelayLog)
        log.offer(i.name for i in live.integrations)
        log.show(live.log, refreshed)

    def show_counts(self, counts: Counts, now: datetime) -> None:
        self._counts = counts
        if self._live is not None:
            self.query_one(IntegrationsTable).show(self._live.integrations, counts, now)

    def action_focus_log(self) -> None:
        self.query_one("#log-integration").focus()

    @on(DataTable.RowSelected, "#integrations")
    def _open(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.post_message(ActionRequested("details", str(event.row_key.value)))
