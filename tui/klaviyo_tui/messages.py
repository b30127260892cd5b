"""Messages between the thread workers, the screens and the app.

Workers never touch a widget: they post one of these, and the app hands what they carry
to the screens through the screens' own small API.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from textual.message import Message

from klaviyo_toolkit.relay import PushProgress, PushReport

from .source import Counts, Live, PushRequest

__all__ = [
    "Action",
    "ActionRequested",
    "ChangeFailed",
    "ChangeMade",
    "CountsLoaded",
    "DemoFailed",
    "DemoReady",
    "LiveLoaded",
    "PushAdvanced",
    "PushEnded",
    "PushFailed",
    "PushFinished",
    "PushStarted",
    "PushStopped",
    "RefreshFailed",
]

Action = Literal[
    "details",
    "reactivate",
    "pause",
    "push_unsent",
    "push_all",
    "edit_scope",
    "rotate_key",
]


class ActionRequested(Message):
    """A key was pressed on a screen for one integration; the app runs the flow."""

    def __init__(self, action: Action, integration: str) -> None:
        super().__init__()
        self.action: Action = action
        self.integration = integration


class LiveLoaded(Message):
    def __init__(self, live: Live, refreshed: datetime) -> None:
        super().__init__()
        self.live = live
        self.refreshed = refreshed


class CountsLoaded(Message):
    """The counts, with what the schedule needs to decide on the next read."""

    def __init__(
        self,
        counts: Counts,
        fingerprint: tuple[object, ...],
        *,
        started: float,
        took: float,
    ) -> None:
        super().__init__()
        self.counts = counts
        self.fingerprint = fingerprint
        self.started = started
        self.took = took


class RefreshFailed(Message):
    """A refresh could not read the store; `busy` when another process held it."""

    def __init__(
        self, text: str, *, busy: bool, part: Literal["live", "counts"]
    ) -> None:
        super().__init__()
        self.text = text
        self.busy = busy
        self.part = part


class PushStarted(Message):
    def __init__(self, request: PushRequest) -> None:
        super().__init__()
        self.request = request


class PushAdvanced(Message):
    def __init__(self, progress: PushProgress) -> None:
        super().__init__()
        self.progress = progress


class PushFinished(Message):
    def __init__(self, request: PushRequest, report: PushReport) -> None:
        super().__init__()
        self.request = request
        self.report = report


class PushFailed(Message):
    def __init__(self, request: PushRequest, text: str) -> None:
        super().__init__()
        self.request = request
        self.text = text


class PushStopped(Message):
    """The operator stopped the push before it ended."""

    def __init__(self, request: PushRequest) -> None:
        super().__init__()
        self.request = request


class PushEnded(Message):
    """The push worker has nothing left to send."""


class ChangeMade(Message):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class ChangeFailed(Message):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class DemoReady(Message):
    def __init__(self, names: list[str]) -> None:
        super().__init__()
        self.names = names


class DemoFailed(Message):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text
