"""An integration's detail: scope and masked key, activity, backlog and failures."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Footer, Label

from ..source import Counts, Live
from ..widgets import (
    ActivityChart,
    BacklogBars,
    FailuresTable,
    Notice,
    PushPanel,
    ScopePanel,
)
from .base import WatchScreen

__all__ = ["DetailScreen"]


class DetailScreen(WatchScreen):
    """One integration, refreshed with every poll while it is open."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back"),
        *WatchScreen.BINDINGS,
    ]

    def __init__(self, name: str) -> None:
        super().__init__()
        self.integration = name
        self._live: Live | None = None
        self._counts: Counts | None = None

    def compose(self) -> ComposeResult:
        yield Label(Content(f"Integration {self.integration}"), id="title")
        yield Notice(id="notice")
        with Horizontal(id="detail-top"):
            yield ScopePanel("reading…", id="scope")
            with Vertical(id="detail-side"):
                yield ActivityChart(id="activity")
                yield Label("Unsent backlog by day", classes="section-title")
                yield BacklogBars("counting…", id="backlog")
        yield Label("Recent failures", classes="section-title")
        yield FailuresTable(id="failures")
        yield PushPanel(id="push-panel")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(Notice).clear()

    def target(self) -> str | None:
        return self.integration

    def show_live(self, live: Live, refreshed: datetime) -> None:
        watched = live.watched
        if watched is None or watched.integration.name != self.integration:
            if watched is None and self._live is not None:
                self.say(f"{self.integration} no longer exists.", kind="error")
            return
        self._live = live
        self._draw_scope(refreshed)
        self.query_one(ActivityChart).show(watched.per_minute)
        self.query_one(FailuresTable).show(watched.failures, refreshed)

    def show_counts(self, counts: Counts, now: datetime) -> None:
        if counts.watched != self.integration:
            return
        self._counts = counts
        row = counts.row(self.integration)
        self.query_one(BacklogBars).show(counts.backlog, row["unsent"] if row else None)
        self._draw_scope(now)

    def _draw_scope(self, now: datetime) -> None:
        if self._live is None or self._live.watched is None:
            return
        row = self._counts.row(self.integration) if self._counts is not None else None
        self.query_one(ScopePanel).show(self._live.watched.integration, row, now)
