"""The live relay log: the newest attempts first, coloured by outcome, with filters."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import ClassVar

import polars as pl
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import DataTable, Label, Select

from ..format import at, short
from ..source import OUTCOMES, LogFilter

__all__ = ["RelayLog"]

COLUMNS = ("Time", "Integration", "Submission", "HTTP", "Outcome", "Error")
ERROR_WIDTH = 60
ANY = "*"
"""The filter value that lets everything through (Select wants a value for it)."""


class RelayLog(Vertical):
    """Attempts as the poll finds them; the filters post `RelayLog.FilterChanged`."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {f"relay-log--{o}" for o in OUTCOMES}

    class FilterChanged(Message):
        """The operator picked another integration or outcome to watch."""

        def __init__(self, log_filter: LogFilter) -> None:
            super().__init__()
            self.log_filter = log_filter

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._names: tuple[str, ...] = ()
        self._shown: tuple[object, ...] | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(id="log-filters"):
            yield Label("Relay log", id="log-title")
            yield Select(
                [("any integration", ANY)],
                value=ANY,
                allow_blank=False,
                id="log-integration",
            )
            yield Select(
                [("any outcome", ANY), *((o, o) for o in OUTCOMES)],
                value=ANY,
                allow_blank=False,
                id="log-outcome",
            )
        table: DataTable[Text] = DataTable(id="log-table", cursor_type="none")
        table.add_columns(*COLUMNS)
        yield table

    @property
    def log_filter(self) -> LogFilter:
        name = self.query_one("#log-integration", Select).value
        outcome = self.query_one("#log-outcome", Select).value
        return LogFilter(
            integration=str(name) if name != ANY else None,
            outcome=str(outcome) if outcome != ANY else None,
        )

    def offer(self, names: Iterable[str]) -> None:
        """The integrations the filter offers; the current pick stays if it can."""
        offered = tuple(names)
        if offered == self._names:
            return
        self._names = offered
        select: Select[str] = self.query_one("#log-integration", Select)
        keep = select.value if select.value in offered else ANY
        with self.prevent(Select.Changed):
            select.set_options([("any integration", ANY), *((n, n) for n in offered)])
            select.value = keep

    def show(self, attempts: pl.DataFrame, now: datetime) -> None:
        """Draw the attempts, newest first, when they differ from what is on screen."""
        shown = _identity(attempts)
        if shown == self._shown:
            return
        self._shown = shown
        table: DataTable[Text] = self.query_one("#log-table", DataTable)
        table.clear()
        for row in attempts.iter_rows(named=True):
            table.add_row(*self._cells(row, now))

    def _cells(self, row: dict[str, object], now: datetime) -> list[Text]:
        outcome = str(row["outcome"])
        style = self.get_component_rich_style(f"relay-log--{outcome}", partial=True)
        moment = row["attempted_at"]
        status = row["http_status"]
        error = " - ".join(
            str(part)
            for part in (row["error_code"], row["error_title"], row["error_detail"])
            if part
        )
        return [
            Text(at(moment, now) if isinstance(moment, datetime) else ""),
            Text(str(row["integration"])),
            Text(str(row["submission_id"])),
            Text(str(status) if status is not None else "-", justify="right"),
            Text(outcome, style=style),
            Text(short(error, ERROR_WIDTH)),
        ]

    @on(Select.Changed)
    def _filter_changed(self, event: Select.Changed) -> None:
        event.stop()
        self._shown = None
        self.post_message(self.FilterChanged(self.log_filter))


def _identity(attempts: pl.DataFrame) -> tuple[object, ...]:
    """Enough to tell two polls' logs apart without comparing every cell."""
    if attempts.is_empty():
        return (0,)
    first = attempts.row(0, named=True)
    return (
        attempts.height,
        first["request_id"],
        first["submission_id"],
        first["outcome"],
    )
