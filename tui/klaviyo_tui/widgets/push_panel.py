"""The push panel: a progress bar and running counts while a push runs."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Label, ProgressBar

from klaviyo_toolkit.relay import PushProgress

from ..format import count
from ..source import PushRequest

__all__ = ["PushPanel"]


class PushPanel(Horizontal):
    """Shows one push at a time: what it sends, how far it is, what came back."""

    def compose(self) -> ComposeResult:
        yield Label(id="push-what")
        yield ProgressBar(show_eta=False, id="push-bar")
        yield Label(id="push-counts")

    def on_mount(self) -> None:
        self.display = False

    def start(self, request: PushRequest) -> None:
        self._label("#push-what", f"Pushing {request.describe()}")
        self._label("#push-counts", "selecting…")
        self.query_one(ProgressBar).update(total=None, progress=0)
        self.display = True

    def advance(self, progress: PushProgress) -> None:
        self.query_one(ProgressBar).update(total=progress.total, progress=progress.done)
        self._label("#push-counts", _counts(progress))

    def finish(self) -> None:
        """Hide until the next push; the result goes to a notification."""
        self.display = False

    def _label(self, selector: str, text: str) -> None:
        self.query_one(selector, Label).update(Content(text))


def _counts(progress: PushProgress) -> str:
    parts = [
        f"{count(progress.done)}/{count(progress.total)}",
        f"{count(progress.delivered)} delivered",
        f"{count(progress.failed)} failed",
    ]
    if progress.rejected:
        parts.append(f"{count(progress.rejected)} rejected")
    if progress.streak:
        parts.append(f"streak {progress.streak}")
    if progress.stopped:
        parts.append("stopped: integration inactive")
    return " · ".join(parts)
