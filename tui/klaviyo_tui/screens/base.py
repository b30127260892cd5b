"""What the main and detail screens share: the action keys and the push panel."""

from __future__ import annotations

from abc import abstractmethod
from datetime import datetime
from typing import ClassVar, get_args

from textual.binding import Binding, BindingType
from textual.screen import Screen

from klaviyo_toolkit.relay import PushProgress

from ..messages import Action, ActionRequested
from ..source import Counts, Live, PushRequest
from ..widgets import Notice, PushPanel
from ..widgets.header import NoticeKind

__all__ = ["WatchScreen"]


class WatchScreen(Screen[None]):
    """A screen fed by the polls that offers actions on one integration."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "act('reactivate')", "Reactivate"),
        Binding("p", "act('pause')", "Pause"),
        Binding("u", "act('push_unsent')", "Push unsent"),
        Binding("a", "act('push_all')", "Push all"),
        Binding("e", "act('edit_scope')", "Scope"),
        Binding("k", "act('rotate_key')", "Key"),
    ]

    @abstractmethod
    def target(self) -> str | None:
        """The integration the action keys apply to."""

    def action_act(self, action: str) -> None:
        if action not in get_args(Action):
            raise ValueError(f"unknown action {action!r}")
        name = self.target()
        if name is None:
            self.notify("There is no integration to act on yet.", severity="warning")
            return
        self.post_message(ActionRequested(action, name))  # type: ignore[arg-type]

    def show_live(self, live: Live, refreshed: datetime) -> None:
        """Draw what a refresh read."""

    def show_counts(self, counts: Counts, now: datetime) -> None:
        """Draw the counts, read less often than the rest."""

    def say(self, text: str, *, kind: NoticeKind) -> None:
        self.query_one(Notice).say(text, kind=kind)

    def quiet(self) -> None:
        self.query_one(Notice).clear()

    def push_started(self, request: PushRequest) -> None:
        self.query_one(PushPanel).start(request)

    def push_advanced(self, progress: PushProgress) -> None:
        self.query_one(PushPanel).advance(progress)

    def push_ended(self) -> None:
        self.query_one(PushPanel).finish()
