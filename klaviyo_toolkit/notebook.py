"""The notebook face: widgets for the mapping preview, filtered pushes, relay health and
one donor's history.

This is the only module of the package that imports ipywidgets. Each face is a small
object: `.widget` is what Jupyter draws (the object displays itself as that widget), and
its state (the selected frame, the last report) lives in plain attributes, so that a
notebook can go on from it in code:

    preview = mapping_preview(tk, search="annie")
    preview.body          # the Klaviyo request body of the submission shown
    panel = push_panel(tk, options=PushOptions(clock=Clock(10)))
    panel.report          # the last PushReport, once a push was confirmed

Every body shown comes from `Toolkit.preview`, which maps with the function the relay
sends with, so the preview shows exactly what a push sends. The frames behind the
widgets come from `notebook_data`, the charts from `notebook_plots`.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import ipywidgets as w
import polars as pl
from IPython.core.getipython import get_ipython
from IPython.display import display

from . import notebook_html as view
from . import notebook_plots as plots
from .errors import ToolkitError
from .integrations import Integration
from .notebook_data import (
    FIELD_SCHEMA,
    RESULT_SCHEMA,
    donor_frame,
    field_changes,
    find_submissions,
    payment_statuses,
    push_results,
    showing,
)
from .relay import PushOptions, PushProgress, PushReport
from .toolkit import Toolkit

if TYPE_CHECKING:
    import altair as alt

__all__ = [
    "DonorHistory",
    "MappingPreview",
    "PushPanel",
    "RelayHealth",
    "donor_frame",
    "donor_history",
    "field_changes",
    "mapping_preview",
    "push_panel",
    "push_results",
    "relay_health",
]

log = logging.getLogger(__name__)

ANY = "(any)"
PREVIEW_ROWS = 5_000
"""Submissions the mapping preview loads to search and step through."""
PROGRESS_STEPS = 100
"""The progress bar moves at most this many times in a push, however many it sends."""
_MAPPED_COLUMNS = ("submission_id", "status", "reason", "notes", "body")


class _Face:
    """A widget with state; Jupyter displays the object as its widget."""

    widget: Any

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)


class MappingPreview(_Face):
    """A submission's Anedot fields, the mapping rows applied, and its Klaviyo body.

    Choose a submission by id or by a search on email or name, or step through what the
    filters select. State: `frame` (the selected submissions, with `mapping_status`,
    `reason`, `notes` and `body` from `Toolkit.preview`), `position`, `submission` (the
    row shown), `changes` (its `field_changes`) and `body` (the request body as a dict,
    None when Klaviyo would refuse the event).
    """

    def __init__(
        self,
        tk: Toolkit,
        *,
        integration: str | None = None,
        search: str = "",
        ids: Iterable[str] | None = None,
        limit: int = PREVIEW_ROWS,
    ) -> None:
        self.tk = tk
        self.ids = tuple(ids) if ids is not None else None
        self.limit = limit
        self.frame = pl.DataFrame()
        self.position = 0
        self.submission: dict[str, Any] | None = None
        self.changes = pl.DataFrame(schema=FIELD_SCHEMA)
        self.body: dict[str, Any] | None = None

        self.integration = _integration_choice(tk, integration)
        self.search = w.Text(
            description="Search",
            value=search,
            placeholder="id, email, name or phone",
            continuous_update=False,
        )
        self.kind = w.Dropdown(description="Kind", options=[ANY, "donation", "lead"])
        self.show = w.Dropdown(
            description="Show",
            options=[
                ("all", "all"),
                ("refused by Klaviyo", "rejected"),
                ("normalized or dropped", "changed"),
            ],
        )
        self.previous = w.Button(description="◀ previous")
        self.next = w.Button(description="next ▶")
        self.counter = w.Label()
        self.header = w.HTML()
        self.fields, self.mapping, self.request = (
            w.HTML(layout=w.Layout(width=width)) for width in ("28%", "42%", "30%")
        )

        for control in (self.integration, self.search, self.kind, self.show):
            control.observe(lambda _: self.refresh(), names="value")
        self.previous.on_click(lambda _: self.step(-1))
        self.next.on_click(lambda _: self.step(1))
        self.widget = w.VBox(
            [
                w.HTML(view.STYLE),
                w.HBox([self.integration, self.kind, self.show]),
                w.HBox([self.search, self.previous, self.counter, self.next]),
                self.header,
                w.HBox([self.fields, self.mapping, self.request]),
            ]
        )
        self.refresh()

    def refresh(self) -> None:
        """Select the submissions again (after an ingest, say) and show the first."""
        integration = _chosen(self.integration.value)
        frame = find_submissions(
            self.tk,
            integration=integration,
            kind=_chosen(self.kind.value),
            search=self.search.value,
            ids=self.ids,
            limit=self.limit,
        )

        mapped = self._mapped(frame, integration)
        frame = frame.join(
            mapped, on="submission_id", how="left", maintain_order="left"
        )
        self.frame = showing(frame, self.show.value)
        self.position = 0
        self._show()

    def step(self, by: int) -> None:
        """Move `by` submissions forward (or back), wrapping around at the ends."""
        if self.frame.height:
            self.position = (self.position + by) % self.frame.height
        self._show()

    def select(self, submission_id: str) -> None:
        """Show this submission, searching for it if the frame does not hold it."""
        ids = (
            self.frame.get_column("submission_id").to_list() if self.frame.width else []
        )
        if submission_id in ids:
            self.position = ids.index(submission_id)
            self._show()
        else:
            self.search.value = submission_id

    def _mapped(self, frame: pl.DataFrame, integration: str | None) -> pl.DataFrame:
        """The preview of these submissions: the bodies a push would send, one path."""
        if frame.is_empty():
            schema = dict.fromkeys(_MAPPED_COLUMNS, pl.String())
            mapped = pl.DataFrame(schema={**schema, "notes": pl.List(pl.String())})
        else:
            ids = frame.get_column("submission_id").to_list()
            mapped = self.tk.preview(integration, submission_ids=ids, limit=len(ids))
        return mapped.select(_MAPPED_COLUMNS).rename({"status": "mapping_status"})

    def _show(self) -> None:
        if self.frame.is_empty():
            self.submission, self.body = None, None
            self.changes = pl.DataFrame(schema=FIELD_SCHEMA)
            self.counter.value = "0 of 0"
            self.header.value = view.styled("<i>No submission matches the filters.</i>")
            self.fields.value = self.mapping.value = self.request.value = ""
            return

        row = self.frame.row(self.position, named=True)
        self.submission = row
        self.body = json.loads(row["body"]) if row["body"] else None
        self.changes = field_changes(row, row)

        more = " (the first loaded)" if self.frame.height >= self.limit else ""
        self.counter.value = f"{self.position + 1} of {self.frame.height}{more}"
        self.header.value = view.header_html(row)
        raw = view.pretty_json(row["raw"])
        self.fields.value = view.pane("Anedot fields, as received", raw)
        changes = view.changes_html(self.changes)
        self.mapping.value = view.pane("Mapping rows", changes)
        self.request.value = view.pane("Klaviyo request body", view.body_html(row))


def mapping_preview(
    tk: Toolkit,
    *,
    integration: str | None = None,
    submission_id: str | None = None,
    search: str = "",
    frame: pl.DataFrame | None = None,
    limit: int = PREVIEW_ROWS,
) -> MappingPreview:
    """The mapping preview, by `submission_id`, by a `search` on email or name, or
    stepping through `frame` (any frame with a `submission_id` column); within an
    integration's scope and value unit when one is named."""
    ids = frame.get_column("submission_id").to_list() if frame is not None else None
    return MappingPreview(
        tk,
        integration=integration,
        search=submission_id or search,
        ids=ids,
        limit=limit,
    )


class PushPanel(_Face):
    """Filters, a live count of what would be sent, a confirmed Push and its results.

    State: `dry_run` (the PushReport of the last count), `report` (the PushReport of
    the last real push), `results` (a row per submission that push touched, with its
    outcome and reason), `integration_state` (the Integration after it) and `progress`
    (the last PushProgress the relay reported).
    """

    def __init__(
        self,
        tk: Toolkit,
        *,
        integration: str | None = None,
        options: PushOptions | None = None,
    ) -> None:
        self.tk = tk
        self.options = options
        self.dry_run: PushReport | None = None
        self.report: PushReport | None = None
        self.results = pl.DataFrame(schema=RESULT_SCHEMA)
        self.integration_state: Integration | None = None
        self.progress: PushProgress | None = None
        self._pending: dict[str, Any] | None = None

        pages = tk.pages()
        self._page_teams = dict(zip(pages["page_id"], pages["team"], strict=True))
        names = [found.name for found in tk.integrations()]
        self.integration = w.Dropdown(
            description="Integration",
            options=names,
            value=integration or (names[0] if names else None),
        )
        self.mode = w.ToggleButtons(description="Mode", options=["unsent", "all"])
        self.pages = w.SelectMultiple(
            description="Pages",
            options=[
                (f"{name} ({account})", page)
                for page, name, account in pages.select(
                    "page_id", "name", "account_name"
                ).iter_rows()
            ],
            rows=6,
            layout=w.Layout(width="60%"),
        )
        teams = sorted({team for team in pages["team"] if team})
        self.team = w.Dropdown(description="Team", options=[ANY, *teams])
        self.kind = w.Dropdown(description="Kind", options=[ANY, "donation", "lead"])
        self.payment_status = w.Dropdown(
            description="Payment", options=[ANY, *payment_statuses(tk)]
        )
        self.since = w.DatePicker(description="Since")
        self.until = w.DatePicker(description="Until")
        self.count = w.HTML()
        self.push_button = w.Button(description="Push…", button_style="primary")
        self.prompt = w.HTML()
        self.confirm = w.Button(description="Confirm push", button_style="danger")
        self.cancel = w.Button(description="Cancel")
        self.confirmation = w.HBox(
            [self.prompt, self.confirm, self.cancel], layout=w.Layout(display="none")
        )
        self.bar = w.IntProgress(min=0, max=1, description="Progress")
        self.result = w.HTML()
        self.state = w.HTML()
        self._wire()
        self.widget = w.VBox(
            [
                w.HTML(view.STYLE),
                w.HBox([self.integration, self.mode]),
                w.HBox(
                    [self.pages, w.VBox([self.team, self.kind, self.payment_status])]
                ),
                w.HBox([self.since, self.until]),
                w.HBox([self.count, self.push_button]),
                self.confirmation,
                self.bar,
                self.result,
                self.state,
            ]
        )
        self.recount()
        self._show_state()

    def push_arguments(self) -> dict[str, Any]:
        """The keyword arguments of `Toolkit.push` that the filters stand for."""
        return {
            "mode": self.mode.value,
            "since": self.since.value,
            "until": self.until.value,
            "kind": _chosen(self.kind.value),
            "payment_status": _chosen(self.payment_status.value),
            "pages": self._pages(),
        }

    def recount(self) -> PushReport | None:
        """Dry-run the filters: what a push would send now (no request goes out)."""
        self._hide_confirmation()
        name = self.integration.value
        if name is None:
            self.count.value = "No integration yet: add one with tk.add_integration()."
            return None

        try:
            self.dry_run = self.tk.push(name, dry_run=True, **self.push_arguments())
        except ToolkitError as error:
            self.dry_run = None
            self.count.value = view.alert(error)
            return None
        report = self.dry_run
        self.count.value = view.styled(
            f"<b>{report.sendable}</b> events would be sent to {view.escape(name)}; "
            f"{report.rejected} refused locally ({report.selected} selected)."
        )
        return report

    def ask(self) -> None:
        """The Push button: count again and ask to confirm; nothing is sent yet."""
        report = self.recount()
        if report is None or report.selected == 0:
            return

        name = self.integration.value
        self._pending = {"name": name, **self.push_arguments()}
        base_url = self.tk.integration(name).settings.base_url
        self.prompt.value = (
            f"Send <b>{report.sendable}</b> events to <b>{view.escape(name)}</b> "
            f"({view.escape(base_url)})?"
        )
        self.confirmation.layout.display = "flex"

    def push(self) -> PushReport | None:
        """The Confirm button: run the push that Push asked about, and nothing else."""
        pending, self._pending = self._pending, None
        self._hide_confirmation()
        if pending is None:
            return None

        name = pending.pop("name")
        log.info("push to %s confirmed in the notebook panel", name)
        self.bar.value = 0
        self.bar.max = max(1, self.dry_run.selected if self.dry_run else 1)
        try:
            report = self.tk.push(
                name, **pending, options=self.options, progress=self._on_progress
            )
        except ToolkitError as error:
            self.result.value = view.alert(error)
            self._show_state()
            return None

        self.report = report
        self.results = push_results(self.tk, report.push_id)
        self.bar.value = self.bar.max
        self.result.value = view.report_html(report, self.results)
        self._show_state()
        self.recount()
        return report

    def _wire(self) -> None:
        filters = (self.integration, self.mode, self.pages, self.team, self.kind)
        for control in (*filters, self.payment_status, self.since, self.until):
            control.observe(lambda _: self.recount(), names="value")
        self.integration.observe(lambda _: self._show_state(), names="value")
        self.push_button.on_click(lambda _: self.ask())
        self.confirm.on_click(lambda _: self.push())
        self.cancel.on_click(lambda _: self._hide_confirmation())

    def _pages(self) -> list[str] | None:
        """The chosen pages, narrowed to the team's pages when a team is chosen."""
        chosen = list(self.pages.value)
        team = _chosen(self.team.value)
        if team is None:
            return chosen or None
        candidates = chosen or list(self._page_teams)
        return [page for page in candidates if self._page_teams.get(page) == team]

    def _on_progress(self, progress: PushProgress) -> None:
        # Called after every result: redraw every percent only, or the kernel would
        # send the browser a message per event.
        self.progress = dataclasses.replace(progress)
        step = max(1, progress.total // PROGRESS_STEPS)
        if progress.done - self.bar.value >= step or progress.done >= progress.total:
            self.bar.max = max(1, progress.total)
            self.bar.value = min(progress.done, self.bar.max)

    def _hide_confirmation(self) -> None:
        self._pending = None
        self.confirmation.layout.display = "none"

    def _show_state(self) -> None:
        name = self.integration.value
        if name is None:
            return
        self.integration_state = self.tk.integration(name)
        self.state.value = view.state_html(self.integration_state)


def push_panel(
    tk: Toolkit, *, integration: str | None = None, options: PushOptions | None = None
) -> PushPanel:
    """The push panel; `options` (a fast clock, say) go to every real push."""
    return PushPanel(tk, integration=integration, options=options)


class RelayHealth(_Face):
    """Attempts over time, failure streaks and the unsent backlog, with the status.

    State: `status` (`Toolkit.status()`), and `frames` and `charts` by name
    ('attempts', 'streaks', 'backlog'); the charts are altair charts a notebook can
    save as PNG or HTML.
    """

    def __init__(self, tk: Toolkit, *, integration: str | None = None) -> None:
        self.tk = tk
        self.status = pl.DataFrame()
        self.frames: dict[str, pl.DataFrame] = {}
        self.charts: dict[str, alt.TopLevelMixin] = {}

        self.integration = _integration_choice(tk, integration)
        self.refresh_button = w.Button(description="Refresh")
        self.summary = w.HTML()
        self.output = w.Output()
        self.integration.observe(lambda _: self.refresh(), names="value")
        self.refresh_button.on_click(lambda _: self.refresh())
        self.widget = w.VBox(
            [
                w.HTML(view.STYLE),
                w.HBox([self.integration, self.refresh_button]),
                self.summary,
                self.output,
            ]
        )
        self.refresh()

    def refresh(self) -> None:
        """Read the store again and redraw."""
        name = _chosen(self.integration.value)
        self.status = self.tk.status()
        self.frames = {
            "attempts": plots.attempts_over_time(self.tk, integration=name),
            "streaks": plots.failure_streaks(self.tk, integration=name),
            "backlog": plots.unsent_backlog(self.tk, integration=name),
        }
        self.charts = {
            "attempts": plots.attempts_chart(self.frames["attempts"]),
            "streaks": plots.streaks_chart(self.frames["streaks"]),
            "backlog": plots.backlog_chart(self.frames["backlog"]),
        }

        shown = self.status.drop("key", "failure_threshold", strict=False)
        self.summary.value = view.frame_html(shown, title="Integrations")
        # Outside IPython there is no frontend to draw on; the charts stay in `.charts`.
        if get_ipython() is None:  # type: ignore[no-untyped-call, unused-ignore]
            return
        self.output.clear_output(wait=True)
        with self.output:
            for chart in self.charts.values():
                display(chart)  # type: ignore[no-untyped-call]


def relay_health(tk: Toolkit, *, integration: str | None = None) -> RelayHealth:
    """Relay-health plots and the status table, for all integrations or one."""
    return RelayHealth(tk, integration=integration)


class DonorHistory(_Face):
    """One donor's submissions and what became of each, per integration: the history a
    Klaviyo profile shows, seen from our side.

    State: `query`, `frame` (`donor_frame`: a row per submission and integration) and
    `submissions` (a row per submission).
    """

    def __init__(self, tk: Toolkit, email_or_phone: str = "") -> None:
        self.tk = tk
        self.query = email_or_phone
        self.frame = pl.DataFrame()
        self.submissions = pl.DataFrame()

        self.lookup = w.Text(
            description="Donor",
            value=email_or_phone,
            placeholder="email or phone",
            continuous_update=False,
        )
        self.button = w.Button(description="Look up")
        self.summary = w.HTML()
        self.table = w.HTML()
        self.lookup.observe(lambda _: self.refresh(), names="value")
        self.button.on_click(lambda _: self.refresh())
        self.widget = w.VBox(
            [
                w.HTML(view.STYLE),
                w.HBox([self.lookup, self.button]),
                self.summary,
                self.table,
            ]
        )
        if email_or_phone:
            self.refresh()

    def refresh(self) -> None:
        """Look the donor up again."""
        self.query = self.lookup.value
        try:
            self.frame = donor_frame(self.tk, self.query)
        except ToolkitError as error:
            self.frame = self.submissions = pl.DataFrame()
            self.summary.value = view.alert(error)
            self.table.value = ""
            return

        per_submission = self.frame.unique("submission_id", maintain_order=True)
        self.submissions = per_submission.drop(
            "integration", "outcome", "requests", "last_attempt_at", "reason"
        )
        self.summary.value = view.donor_summary_html(self.submissions)
        self.table.value = view.frame_html(self.frame, title="History")


def donor_history(tk: Toolkit, email_or_phone: str = "") -> DonorHistory:
    """Every submission of one donor (donations and leads) with its relay outcomes."""
    return DonorHistory(tk, email_or_phone)


def _integration_choice(tk: Toolkit, integration: str | None) -> Any:
    return w.Dropdown(
        description="Integration",
        options=[ANY, *(found.name for found in tk.integrations())],
        value=integration or ANY,
    )


def _chosen(value: Any) -> Any:
    """A dropdown's value, with '(any)' as None."""
    return None if value == ANY else value
