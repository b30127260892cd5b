"""The operator's actions: each one a dialog (or two) and then one worker.

Anything that sends or changes goes through a `ConfirmScreen` first. The flows run on
the UI thread and only open dialogs; thread workers do the blocking part and post
messages back, so the screen keeps moving while a push runs.
"""

from __future__ import annotations

import dataclasses
import time
from abc import abstractmethod
from collections.abc import Callable, Sequence

from textual import work
from textual.app import App

from klaviyo_toolkit.errors import ToolkitError
from klaviyo_toolkit.integrations import Integration
from klaviyo_toolkit.relay import PushProgress
from klaviyo_toolkit.settings import ApiKey

from .messages import (
    ActionRequested,
    ChangeFailed,
    ChangeMade,
    PushAdvanced,
    PushEnded,
    PushFailed,
    PushFinished,
    PushStarted,
    PushStopped,
)
from .screens.base import WatchScreen
from .screens.dialogs import ConfirmScreen, KeyForm, PushForm, ScopeForm
from .source import Mode, PushRequest, PushRun, ScopeChange, Source

__all__ = ["OperatorActions"]

PROGRESS_EVERY = 0.1
"""Seconds between progress messages: a fast push has thousands of results a second."""
STOPPED = "The push for {} was stopped; push its unsent submissions to finish it."


class OperatorActions(App[None]):
    """The flows behind the action keys, and the workers they end in."""

    source: Source
    pushing = False
    _run: PushRun | None = None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # The stop key shows in the footer only while there is a push to stop (False
        # hides a binding; None would show it dimmed).
        if action == "stop_push":
            return self.pushing
        return True

    def action_stop_push(self) -> None:
        if self._run is not None:
            self._run.stop()

    async def action_quit(self) -> None:
        if not self.pushing:
            self.exit()
            return
        self.confirm(
            "Stop the push and quit?",
            "The push stops after the requests in flight. What it sent is recorded, "
            "and a push of the unsent submissions completes the rest later.",
            verb="Stop and quit",
            then=self._stop_and_quit,
        )

    def _stop_and_quit(self) -> None:
        self.action_stop_push()
        self.exit()

    @abstractmethod
    def find(self, name: str) -> Integration | None:
        """The integration as the last refresh read it."""

    @abstractmethod
    def open_detail(self, name: str) -> None: ...

    @abstractmethod
    def action_refresh_now(self) -> None:
        """Refresh now, counts included."""

    def watch_screens(self) -> list[WatchScreen]:
        """The screens the polls and pushes feed, bottom first."""
        return [s for s in self.screen_stack if isinstance(s, WatchScreen)]

    def on_action_requested(self, message: ActionRequested) -> None:
        name = message.integration
        match message.action:
            case "details":
                self.open_detail(name)
            case "reactivate":
                self.ask_reactivate(name)
            case "pause":
                self.ask_pause(name)
            case "push_unsent":
                self.ask_push(name, "unsent")
            case "push_all":
                self.ask_push(name, "all")
            case "edit_scope":
                self.ask_scope(name)
            case "rotate_key":
                self.ask_key(name)

    def ask_reactivate(self, name: str) -> None:
        integration = self.find(name)
        if integration is not None and integration.active:
            body = (
                f"{name} is active; reactivating sets its failure streak back to zero."
            )
        else:
            body = f"{name} goes back to relaying: its streak restarts at zero."
        self.confirm(
            f"Reactivate {name}?",
            body,
            verb="Reactivate",
            then=lambda: self.run_change(
                f"{name} is active again.", lambda: self.source.reactivate(name)
            ),
        )

    def ask_pause(self, name: str) -> None:
        integration = self.find(name)
        if integration is not None and not integration.active:
            self.notify(f"{name} is inactive already.", severity="warning")
            return
        self.confirm(
            f"Pause {name}?",
            f"{name} stops relaying until it is reactivated; a push running now stops.",
            verb="Pause",
            then=lambda: self.run_change(
                f"{name} is paused.", lambda: self.source.pause(name)
            ),
        )

    def ask_push(self, name: str, mode: Mode) -> None:
        def chosen(request: PushRequest | None) -> None:
            if request is None:
                return
            self.confirm(
                f"Push to Klaviyo for {name}?",
                f"This sends the {request.describe()} to Klaviyo now.",
                verb="Push",
                then=lambda: self.start_pushes([request]),
            )

        self.push_screen(PushForm(name, mode), chosen)

    def ask_scope(self, name: str) -> None:
        integration = self._known(name)
        if integration is None:
            return

        def chosen(change: ScopeChange | None) -> None:
            if change is None:
                return
            team = change.team.strip() or "any"
            self.confirm(
                f"Change the scope of {name}?",
                f"Pages: {change.pages}\nExcluded: {change.excluded_pages or 'none'}\n"
                f"Team: {team}",
                verb="Save",
                then=lambda: self.run_change(
                    f"The scope of {name} is saved.",
                    lambda: self.source.change_scope(name, change),
                ),
            )

        self.push_screen(ScopeForm(integration), chosen)

    def ask_key(self, name: str) -> None:
        integration = self._known(name)
        if integration is None:
            return

        def chosen(key: ApiKey | None) -> None:
            if key is None:
                return
            self.confirm(
                f"Rotate the key of {name}?",
                f"{integration.settings.key_hint} is replaced by {key.masked}, "
                "kept in the database file (readable by its owner only).",
                verb="Rotate",
                then=lambda: self.run_change(
                    f"{name} now sends with {key.masked}.",
                    lambda: self.source.rotate_key(name, key),
                ),
            )

        self.push_screen(KeyForm(integration), chosen)

    def confirm(
        self, title: str, body: str, *, verb: str, then: Callable[[], None]
    ) -> None:
        def answered(yes: bool | None) -> None:
            if yes:
                then()

        self.push_screen(ConfirmScreen(title, body, verb=verb), answered)

    # Workers --------------------------------------------------------------------------

    def start_pushes(self, requests: list[PushRequest]) -> None:
        if self.pushing:
            self.notify("A push is running; start the next one when it is done.")
            return
        self.pushing = True
        self._run = PushRun()
        self.refresh_bindings()
        self._push(requests, self._run)

    @work(thread=True, group="push", exit_on_error=False)
    def _push(self, requests: Sequence[PushRequest], run: PushRun) -> None:
        for request in requests:
            self.post_message(PushStarted(request))
            try:
                report = self.source.push(
                    request, run, progress=self._progress_poster()
                )
            except ToolkitError as error:
                self.post_message(PushFailed(request, str(error)))
                continue
            if report is None:
                self.post_message(PushStopped(request))
                break
            self.post_message(PushFinished(request, report))
        self.post_message(PushEnded())

    def _progress_poster(self) -> Callable[[PushProgress], None]:
        last = 0.0

        def post(progress: PushProgress) -> None:
            nonlocal last
            moment = time.monotonic()
            if moment - last >= PROGRESS_EVERY or progress.stopped:
                last = moment
                # The relay keeps changing its progress object; the UI gets a copy.
                self.post_message(PushAdvanced(dataclasses.replace(progress)))

        return post

    def on_push_started(self, message: PushStarted) -> None:
        for screen in self.watch_screens():
            screen.push_started(message.request)

    def on_push_advanced(self, message: PushAdvanced) -> None:
        for screen in self.watch_screens():
            screen.push_advanced(message.progress)

    def on_push_finished(self, message: PushFinished) -> None:
        report = message.report
        summary = (
            f"{report.integration}: {report.delivered:,} delivered, {report.failed:,} "
            f"failed, {report.rejected:,} rejected in {report.seconds:.1f} s."
        )
        if report.inactive:
            self.notify(
                f"{summary} It is now inactive: {report.inactive_reason}",
                severity="error",
                timeout=10,
            )
        else:
            self.notify(summary)
        self.action_refresh_now()

    def on_push_failed(self, message: PushFailed) -> None:
        self.notify(message.text, severity="error", timeout=10)

    def on_push_stopped(self, message: PushStopped) -> None:
        self.notify(STOPPED.format(message.request.integration), severity="warning")

    def on_push_ended(self, _: PushEnded) -> None:
        self.push_ended()

    def push_ended(self) -> None:
        self.pushing = False
        self.refresh_bindings()
        for screen in self.watch_screens():
            screen.push_ended()
        self.action_refresh_now()

    def run_change(self, done: str, change: Callable[[], object]) -> None:
        self._change(done, change)

    @work(thread=True, group="change", exit_on_error=False)
    def _change(self, done: str, change: Callable[[], object]) -> None:
        try:
            change()
        except ToolkitError as error:
            self.post_message(ChangeFailed(str(error)))
            return
        self.post_message(ChangeMade(done))

    def on_change_made(self, message: ChangeMade) -> None:
        self.notify(message.text)
        self.action_refresh_now()

    def on_change_failed(self, message: ChangeFailed) -> None:
        self.notify(message.text, severity="error", timeout=10)

    def _known(self, name: str) -> Integration | None:
        integration = self.find(name)
        if integration is None:
            self.notify(f"{name} is not in the store any more.", severity="warning")
        return integration
