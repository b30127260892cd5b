"""Modal dialogs: the confirmation every change goes through, and the small forms.

A form checks what was typed with the toolkit's own rules (dates, page ids, keys) and
says what is wrong in one line under the fields; it closes only with a valid answer.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import ClassVar, Generic, TypeVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from klaviyo_toolkit.errors import ConfigError
from klaviyo_toolkit.integrations import Integration
from klaviyo_toolkit.settings import ApiKey, parse_page_ids

from ..format import DATE_HINT, check_range, parse_day
from ..source import Mode, PushRequest, ScopeChange

__all__ = ["ConfirmScreen", "KeyForm", "PushForm", "ScopeForm"]

T = TypeVar("T")


class ConfirmScreen(ModalScreen[bool]):
    """Asks once before anything is sent or changed."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "confirm", "Yes"),
        Binding("n,escape", "cancel", "No"),
    ]

    def __init__(self, title: str, body: str, *, verb: str) -> None:
        super().__init__()
        self._title = title
        self._body = body
        self._verb = verb

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Content(self._title), classes="dialog-title")
            yield Static(Content(self._body), classes="dialog-body")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self._verb, variant="warning", id="confirm")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    @on(Button.Pressed, "#confirm")
    def action_confirm(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)


class FormScreen(ModalScreen[T | None], Generic[T]):
    """A titled form with an error line; subclasses give the fields and the check."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    verb = "OK"

    def __init__(self, title: str) -> None:
        super().__init__()
        self._title = title

    @abstractmethod
    def fields(self) -> ComposeResult: ...

    @abstractmethod
    def check(self) -> T:
        """The answer, or a ValueError / ConfigError whose text tells what to fix."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Content(self._title), classes="dialog-title")
            yield from self.fields()
            yield Label(id="form-error", classes="form-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.verb, variant="primary", id="submit")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query(Input).first().focus()

    @property
    def error(self) -> str:
        return str(self.query_one("#form-error", Label).content)

    @on(Input.Submitted)
    @on(Button.Pressed, "#submit")
    def submit(self) -> None:
        try:
            answer = self.check()
        except (ValueError, ConfigError) as error:
            self.query_one("#form-error", Label).update(Content(str(error)))
            return
        self.dismiss(answer)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    def value(self, field: str) -> str:
        return self.query_one(f"#{field}", Input).value


class PushForm(FormScreen[PushRequest]):
    """A date range for a push; both days are included, either may stay empty."""

    verb = "Next"

    def __init__(self, integration: str, mode: Mode) -> None:
        what = "unsent submissions" if mode == "unsent" else "all submissions"
        super().__init__(f"Push {what} of {integration}")
        self._integration = integration
        self._mode: Mode = mode

    def fields(self) -> ComposeResult:
        yield Label(f"Since (created on or after, {DATE_HINT}, empty: the first day)")
        yield Input(placeholder=DATE_HINT, id="since")
        yield Label(f"Until (created on or before, {DATE_HINT}, empty: today)")
        yield Input(placeholder=DATE_HINT, id="until")

    def check(self) -> PushRequest:
        since = parse_day(self.value("since"), label="Since")
        until = parse_day(self.value("until"), label="Until")
        check_range(since, until)
        return PushRequest(self._integration, self._mode, since, until)


class ScopeForm(FormScreen[ScopeChange]):
    """Pages, excluded pages and team, as the command line takes them."""

    verb = "Next"

    def __init__(self, integration: Integration) -> None:
        super().__init__(f"Edit the scope of {integration.name}")
        self._settings = integration.settings

    def fields(self) -> ComposeResult:
        s = self._settings
        yield Label("Pages: 'all' or Action Page ids separated by commas")
        yield Input(
            value=",".join(s.pages) if s.pages is not None else "all", id="pages"
        )
        yield Label("Excluded pages: ids separated by commas, or empty")
        yield Input(value=",".join(s.excluded_pages), id="excluded")
        yield Label("Team: relay only pages of this team, or empty for any")
        yield Input(value=s.team or "", id="team")

    def check(self) -> ScopeChange:
        pages = self.value("pages").strip()
        if pages.lower() not in ("", "all"):
            parse_page_ids(pages, what="page")
        excluded = self.value("excluded").strip()
        parse_page_ids(excluded, what="excluded page")
        return ScopeChange(
            pages=pages or "all", excluded_pages=excluded, team=self.value("team")
        )


class KeyForm(FormScreen[ApiKey]):
    """A new private key, typed masked; the answer is an `ApiKey`, shown masked."""

    verb = "Next"

    def __init__(self, integration: Integration) -> None:
        super().__init__(f"Rotate the key of {integration.name}")
        self._hint = integration.settings.key_hint

    def fields(self) -> ComposeResult:
        yield Label(f"Now: {self._hint}. New Klaviyo private key (pk_...):")
        yield Input(password=True, placeholder="pk_…", id="key")

    def check(self) -> ApiKey:
        key = ApiKey(self.value("key"))
        # The widget would otherwise hold the key for as long as the screen lives.
        self.query_one("#key", Input).value = ""
        return key
