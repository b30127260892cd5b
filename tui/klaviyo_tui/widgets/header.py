"""The lines around the tables: totals, the state of the store, the empty state."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Label, Static

from klaviyo_toolkit.health import Totals

from ..format import at, count

__all__ = ["EmptyState", "Notice", "NoticeKind", "SummaryLine"]

NoticeKind = Literal["busy", "error", "info"]

EMPTY_TEXT = (
    "No integrations yet.\n\n"
    "Add one from a shell:\n"
    "  klaviyo-toolkit --db {db} integration add NAME --api-key-env VAR\n\n"
    "or watch the demo relay the sample data:  klaviyo-tui --demo"
)


class SummaryLine(Horizontal):
    """Totals over the store, and on the right the time of the last refresh."""

    def compose(self) -> ComposeResult:
        yield Label("reading the store…", id="totals")
        yield Label(id="refreshed")

    def show(self, totals: Totals, refreshed: datetime) -> None:
        t = totals
        parts = [
            f"{t.active} active, {t.inactive} inactive",
            f"{count(t.submissions)} submissions",
            f"{count(t.attempts)} attempts: {count(t.delivered)} delivered, "
            f"{count(t.failed)} failed",
        ]
        self.query_one("#totals", Label).update(Content(" · ".join(parts)))
        self.query_one("#refreshed", Label).update(
            Content(f"refreshed {at(refreshed, refreshed)}")
        )
        self.set_class(t.inactive > 0, "-alert")


class Notice(Static):
    """One line about the store itself: busy, unreadable, or fine (then hidden)."""

    def say(self, text: str, *, kind: NoticeKind) -> None:
        self.update(Content(text))
        self.set_classes(f"-{kind}")
        self.display = True

    def clear(self) -> None:
        self.update("")
        self.display = False


class EmptyState(Static):
    """What to do when there is nothing to watch yet."""

    def for_db(self, db: str) -> None:
        self.update(Content(EMPTY_TEXT.format(db=db)))
