"""The integrations table: state, streak, counts, last success and last error."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.widgets import DataTable

from klaviyo_toolkit.integrations import Integration

from ..format import ago, count, short, streak_cells
from ..source import Counts

__all__ = ["IntegrationsTable"]

COLUMNS = (
    ("name", "Integration"),
    ("state", "State"),
    ("streak", "Streak"),
    ("delivered", "Delivered"),
    ("failed", "Failed"),
    ("unsent", "Unsent"),
    ("success", "Last success"),
    ("error", "Last error"),
)
REASON_WIDTH = 34
ERROR_WIDTH = 28


class IntegrationsTable(DataTable[Text]):
    """One row per integration, keyed by name, kept in place between refreshes."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "integrations--active",
        "integrations--inactive",
        "integrations--streak",
        "integrations--streak-empty",
        "integrations--muted",
    }

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self._shape: list[tuple[str, int]] = []
        for key, label in COLUMNS:
            self.add_column(label, key=key)

    @property
    def selected(self) -> str | None:
        """The name of the integration under the cursor."""
        if not self.row_count:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        return str(key.value)

    def show(
        self,
        integrations: tuple[Integration, ...],
        counts: Counts | None,
        now: datetime,
    ) -> None:
        """Draw the integrations; the cursor stays on the integration it was on.

        An inactive integration takes two lines, the second saying why, so the rows
        are rebuilt when an integration turns inactive or back; otherwise the cells
        are updated in place.
        """
        rows = {i.name: self._cells(i, counts, now) for i in integrations}
        shape = [(i.name, _height(i)) for i in integrations]
        if shape == self._shape:
            for name, cells in rows.items():
                for (column, _), cell in zip(COLUMNS, cells, strict=True):
                    self.update_cell(name, column, cell, update_width=True)
            return
        self._shape = shape
        self._rebuild(rows, dict(shape))

    def _rebuild(self, rows: dict[str, list[Text]], heights: dict[str, int]) -> None:
        selected = self.selected
        self.clear()
        for name, cells in rows.items():
            self.add_row(*cells, key=name, height=heights[name])
        if selected in rows:
            self.move_cursor(row=self.get_row_index(selected), animate=False)

    def _cells(
        self, integration: Integration, counts: Counts | None, now: datetime
    ) -> list[Text]:
        row = counts.row(integration.name) if counts is not None else None
        figures = [
            Text(count(row[column]) if row else "…", justify="right")
            for column in ("delivered", "failed", "unsent")
        ]
        return [
            Text(integration.name),
            self._state(integration, now),
            self._streak(integration),
            *figures,
            Text(ago(integration.last_success_at, now), style=self._style("muted")),
            Text(short(integration.last_error, ERROR_WIDTH)),
        ]

    def _state(self, integration: Integration, now: datetime) -> Text:
        if integration.active:
            return Text("● active", style=self._style("active"))
        since = ago(integration.inactive_since, now)
        text = Text(f"○ inactive {since}", style=self._style("inactive"))
        # The core's reason ends with the last error, which has a column of its own.
        reason = (integration.inactive_reason or "no reason recorded").split(";")[0]
        text.append(f"\n{short(reason, REASON_WIDTH)}", style=self._style("muted"))
        return text

    def _streak(self, integration: Integration) -> Text:
        failures = integration.consecutive_failures
        threshold = integration.settings.failure_threshold
        filled, empty = streak_cells(failures, threshold)
        text = Text("■" * filled, style=self._style("streak"))
        text.append("□" * empty, style=self._style("streak-empty"))
        text.append(f" {failures}/{threshold}")
        return text

    def _style(self, part: str) -> Style:
        return self.get_component_rich_style(f"integrations--{part}")


def _height(integration: Integration) -> int:
    return 1 if integration.active else 2
