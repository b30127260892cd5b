"""Widgets of klaviyo-tui, each with a small `show(...)` API the screens call."""

from __future__ import annotations

from .detail import ActivityChart, BacklogBars, FailuresTable, ScopePanel
from .header import EmptyState, Notice, SummaryLine
from .integrations import IntegrationsTable
from .push_panel import PushPanel
from .relay_log import RelayLog

__all__ = [
    "ActivityChart",
    "BacklogBars",
    "EmptyState",
    "FailuresTable",
    "IntegrationsTable",
    "Notice",
    "PushPanel",
    "RelayLog",
    "ScopePanel",
    "SummaryLine",
]
