"""The parts of an integration's detail: scope and key, activity, backlog, failures."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

import polars as pl
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import DataTable, Label, Sparkline, Static

from klaviyo_toolkit.integrations import Integration

from ..format import ago, at, count, short

__all__ = ["ActivityChart", "BacklogBars", "FailuresTable", "ScopePanel"]

BAR_WIDTH = 30
BACKLOG_DAYS = 14
DETAIL_WIDTH = 70


class ScopePanel(Static):
    """Scope, key and state of one integration; the key only ever as its hint."""

    def show(
        self, integration: Integration, row: dict[str, object] | None, now: datetime
    ) -> None:
        self.update(_grid(_scope_lines(integration, row, now)))


def _scope_lines(
    integration: Integration, row: dict[str, object] | None, now: datetime
) -> list[tuple[str, str]]:
    s = integration.settings
    since = integration.inactive_since
    if integration.active:
        lines = [("State", "active")]
    else:
        lines = [
            ("State", f"inactive since {at(since, now)} ({ago(since, now)})"),
            ("Reason", integration.inactive_reason or "none recorded"),
        ]
    lines += [
        ("Streak", f"{integration.consecutive_failures} of {s.failure_threshold}"),
        ("Pages", ", ".join(s.pages) if s.pages is not None else "all"),
        ("Excluded", ", ".join(s.excluded_pages) or "none"),
        ("Team", s.team or "any"),
        ("Account", s.account or "any"),
        ("Key", s.key_hint),
        ("Base URL", s.base_url),
        ("Value", s.value_unit),
        ("Last success", at(integration.last_success_at, now)),
        ("Last error", integration.last_error or "none"),
    ]
    if row is not None:
        relayed = (
            f"{count(row['delivered'])} delivered · {count(row['failed'])} failed · "
            f"{count(row['rejected'])} rejected"
        )
        lines += [
            ("In scope", f"{count(row['in_scope'])} submissions"),
            ("Relayed", relayed),
            ("Unsent", count(row["unsent"])),
        ]
    return lines


def _grid(lines: list[tuple[str, str]]) -> Table:
    """Names right-aligned beside values that wrap under themselves."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(justify="right", no_wrap=True)
    grid.add_column(overflow="fold")
    for name, value in lines:
        grid.add_row(Text(name, style="bold"), Text(value))
    return grid


class ActivityChart(Vertical):
    """Attempts per minute over the last hour, as a sparkline with its caption."""

    def compose(self) -> ComposeResult:
        yield Label("Attempts per minute, last hour", classes="section-title")
        yield Sparkline([], id="activity-spark")
        yield Label(id="activity-caption")

    def show(self, per_minute: pl.DataFrame) -> None:
        attempts = per_minute.get_column("attempts").to_list()
        self.query_one(Sparkline).data = [float(n) for n in attempts]
        total = sum(attempts)
        failed = int(per_minute.get_column("failed").sum())
        peak = max(attempts, default=0)
        caption = (
            f"{count(total)} attempts · {count(failed)} failed · peak {count(peak)}/min"
            if total
            else "no attempts in the last hour"
        )
        self.query_one("#activity-caption", Label).update(Content(caption))


class BacklogBars(Static):
    """Unsent submissions by the day they were made, newest first, as bars."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"backlog--bar"}

    def show(self, backlog: pl.DataFrame | None, unsent: object) -> None:
        if backlog is None:
            self.update(Content("counting…"))
            return
        if backlog.is_empty():
            self.update(
                Content("Nothing unsent: every submission in scope was delivered.")
            )
            return
        rows = backlog.head(BACKLOG_DAYS).rows()
        widest = max(n for _, n in rows)
        text = Text()
        for day, n in rows:
            cells = max(1, round(BAR_WIDTH * n / widest))
            text.append(f"{day}  ")
            text.append(
                "█" * cells, style=self.get_component_rich_style("backlog--bar")
            )
            text.append(f" {count(n)}\n")
        shown = sum(n for _, n in rows)
        if isinstance(unsent, int) and unsent > shown:
            text.append(f"… and {count(unsent - shown)} on older days")
        self.update(text)


class FailuresTable(DataTable[Text]):
    """The newest failed attempts with Klaviyo's error code, title and detail."""

    def on_mount(self) -> None:
        self.cursor_type = "none"
        self.add_columns("Time", "HTTP", "Code", "Title", "Detail")

    def show(self, failures: pl.DataFrame, now: datetime) -> None:
        self.clear()
        for row in failures.iter_rows(named=True):
            status = row["http_status"]
            self.add_row(
                Text(at(row["attempted_at"], now)),
                Text(str(status) if status is not None else "no answer"),
                Text(row["error_code"] or ""),
                Text(short(row["error_title"], 32)),
                Text(short(row["error_detail"], DETAIL_WIDTH)),
            )
