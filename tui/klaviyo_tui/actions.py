"""The operator's actions: each one a dialog (or two) and then one worker.

Anything that sends or changes goes through a `ConfirmScreen` first. The flows run on
the UI thread and only open dialogs; the app's workers do the blocking part.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.app import App

from klaviyo_toolkit.integrations import Integration
from klaviyo_toolkit.settings import ApiKey

from .messages import ActionRequested
from .screens.dialogs import ConfirmScreen, KeyForm, PushForm, ScopeForm
from .source import Mode, PushRequest, ScopeChange, Source

__all__ = ["OperatorActions"]


class OperatorActions(App[None]):
    """The flows behind the action keys; the app supplies the workers they end in."""

    source: Source

    def find(self, name: str) -> Integration | None:
        """The integration as the last refresh read it."""
        raise NotImplementedError

    def open_detail(self, name: str) -> None:
        raise NotImplementedError

    def start_pushes(self, requests: list[PushRequest]) -> None:
        raise NotImplementedError

    def run_change(self, done: str, change: Callable[[], object]) -> None:
        raise NotImplementedError

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

    def _known(self, name: str) -> Integration | None:
        integration = self.find(name)
        if integration is None:
            self.notify(f"{name} is not in the store any more.", severity="warning")
        return integration
