"""The notebook face: widgets for the mapping preview, filtered pushes, relay health and
one donor's history.

This is the only module of the package that imports ipywidgets. Each face is a small
object: `.widget` is what Jupyter draws (the object displays itself as that widget), and
its state (the selected frame, the last report) lives in plain attributes, so a notebook
can go on from it in code:

    preview = mapping_preview(tk, search="annie")
    preview.body          # the Klaviyo request body of the submission shown
    panel = push_panel(tk, options=PushOptions(clock=Clock(10)))
    panel.report          # the last PushReport, once Push was confirmed

Every body shown comes from `Toolkit.preview`, which maps with the same function the relay
sends with, so the preview shows exactly what a push sends.
"""

from __future__ import annotations

import dataclasses
import html
import json
import logging
import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import ipywidgets as w
import polars as pl
from IPython.core.getipython import get_ipython
from IPython.display import display

from . import notebook_plots as plots
from .errors import ConfigError, ToolkitError
from .integrations import Integration
from .mapping import MAPPING, MappingRow
from .phones import normalize_phones, to_e164
from .relay import PushOptions, PushProgress, PushReport
from .scope import Selection, scope_query
from .settings import IntegrationSettings
from .toolkit import Toolkit

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
SHOWN_ROWS = 50
"""Rows of a result or history table drawn in HTML; the frame attribute has them all."""
PROGRESS_STEPS = 100
"""The progress bar moves at most this many times a push, however many events it sends."""

FIELD_SCHEMA = dict.fromkeys(
    ("anedot", "value", "klaviyo", "sent", "transform", "change", "note"), pl.String
)
RESULT_SCHEMA = {
    "submission_id": pl.String,
    "outcome": pl.String,
    "requests": pl.Int64,
    "http_status": pl.Int64,
    "reason": pl.String,
}

# Every submission, by no integration: the store's whole content, as Toolkit.preview does.
_EVERYTHING = IntegrationSettings(name="(all)", api_key_env="UNUSED")

_STYLE = """<style>
.kt table {border-collapse: collapse; font-size: 12px}
.kt td, .kt th {text-align: left; padding: 2px 8px; vertical-align: top}
.kt tr.kt-normalized td {background: #fff3c4}
.kt tr.kt-moved td {background: #dbeafe}
.kt tr.kt-scaled td {background: #dcfce7}
.kt tr.kt-dropped td, .kt tr.kt-refused td {background: #fde2e1}
.kt tr.kt-absent td {color: #999}
.kt .kt-alert {background: #fde2e1; border-left: 4px solid #c62828; padding: 4px 8px}
.kt .kt-ok {color: #2e7d32} .kt .kt-bad {color: #c62828}
.kt pre {font-size: 11px; max-height: 480px; overflow: auto; margin: 0}
</style>"""

# The outcome a submission has for one integration, from all its attempts: delivered once
# is delivered for good (unique_id makes resends harmless), else the latest outcome.
_OUTCOME_SQL = """
    SELECT integration, submission_id,
        CASE WHEN bool_or(outcome = 'delivered') THEN 'delivered'
             ELSE arg_max(outcome, attempted_at) END AS outcome,
        count(*) FILTER (WHERE endpoint <> 'local') AS requests,
        arg_max(http_status, attempted_at)::BIGINT AS http_status,
        max(attempted_at) AS last_attempt_at,
        CASE WHEN bool_or(outcome = 'delivered') THEN NULL
             ELSE arg_max(coalesce(error_detail, error_title, error_code), attempted_at)
             END AS reason
    FROM relay_attempts WHERE {where} GROUP BY integration, submission_id
"""


class _Face:
    """A widget with state; Jupyter displays the object as its widget."""

    widget: Any

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)


# Mapping preview ------------------------------------------------------------------------


def field_changes(
    submission: Mapping[str, Any], mapped: Mapping[str, Any]
) -> pl.DataFrame:
    """The mapping table applied to one submission: each field before and after.

    `submission` is a row of the submissions table and `mapped` its row of
    `Toolkit.preview` (`body`, `notes`). `change` is one of: constant, kept, normalized,
    moved (into `profile.location`), scaled (the amount), dropped, refused (the whole
    event cannot be sent) or absent; `note` says why.
    """
    body = json.loads(mapped["body"]) if mapped.get("body") else None
    notes = list(mapped.get("notes") or [])
    rows = [_field_change(row, submission, body, notes) for row in MAPPING]
    return pl.DataFrame(rows, schema=FIELD_SCHEMA)


def _field_change(
    row: MappingRow,
    submission: Mapping[str, Any],
    body: Mapping[str, Any] | None,
    notes: list[str],
) -> dict[str, str | None]:
    value = _text(submission.get(row.column)) if row.column else None
    sent = _text(_sent_value(body, row.klaviyo)) if body is not None else None
    change, note = _classify(row, value, sent, sendable=body is not None, notes=notes)
    return {
        "anedot": row.anedot,
        "value": value,
        "klaviyo": row.klaviyo,
        "sent": sent,
        "transform": row.transform,
        "change": change,
        "note": note,
    }


def _classify(
    row: MappingRow,
    value: str | None,
    sent: str | None,
    *,
    sendable: bool,
    notes: list[str],
) -> tuple[str, str]:
    if row.column is None:
        return "constant", row.note
    if value is None and sent is None:
        return "absent", "not in this submission"
    if not sendable:
        return "refused", "the event is not sent at all"
    if sent is None:
        return "dropped", _note_about(notes, row.column, "dropped") or "dropped"
    if row.klaviyo.startswith("profile.location."):
        return "moved", row.note or "Klaviyo wants address parts in location."
    if row.column == "amount":
        return "scaled", _note_about(notes, "amount", "value")
    if row.column == "created_at":
        return "normalized", "ISO 8601 with a UTC offset"
    if value != sent:
        fallback = f"{value!r} sent as {sent!r}"
        return "normalized", _note_about(notes, row.column, "normalized") or fallback
    return "kept", row.note


def _note_about(notes: list[str], field: str, word: str) -> str:
    return next((n for n in notes if n.startswith(field) and word in n), "")


def _sent_value(body: Mapping[str, Any], path: str) -> Any:
    """The value at a mapping table's Klaviyo path ('profile.location.zip') in a body."""
    data = body["data"]
    attributes = data["attributes"]
    roots: dict[str, Any] = {
        "data": data,
        "attributes": attributes,
        "profile": attributes["profile"]["data"]["attributes"],
        "properties": attributes.get("properties", {}),
    }
    root, _, rest = path.partition(".")
    if root == "properties":
        return roots[root].get(rest)  # property keys may hold dots or spaces
    node = roots[root]
    for part in rest.split("."):
        node = node.get(part) if isinstance(node, Mapping) else None
    return node


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

        self.integration = w.Dropdown(
            description="Integration",
            options=[ANY, *_names(tk)],
            value=integration or ANY,
        )
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
                ("all", ANY),
                ("refused by Klaviyo", "rejected"),
                ("normalized or dropped", "changed"),
            ],
            value=ANY,
        )
        self.previous = w.Button(description="◀ previous")
        self.next = w.Button(description="next ▶")
        self.counter = w.Label()
        self.header = w.HTML()
        self.fields, self.mapping, self.request = (
            w.HTML(layout=w.Layout(width=width)) for width in ("28%", "40%", "32%")
        )

        for control in (self.integration, self.search, self.kind, self.show):
            control.observe(lambda _: self.refresh(), names="value")
        self.previous.on_click(lambda _: self.step(-1))
        self.next.on_click(lambda _: self.step(1))
        self.widget = w.VBox(
            [
                w.HTML(_STYLE),
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
        kind = _chosen(self.kind.value)
        frame = _find_submissions(
            self.tk, integration, kind, self.search.value, self.ids, self.limit
        )

        mapped = self._mapped(frame, integration)
        frame = frame.join(
            mapped, on="submission_id", how="left", maintain_order="left"
        )
        self.frame = _only(frame, self.show.value)
        self.position = 0
        self._show()

    def step(self, by: int) -> None:
        """Move `by` submissions forward (or back), wrapping around at the ends."""
        if self.frame.height:
            self.position = (self.position + by) % self.frame.height
        self._show()

    def select(self, submission_id: str) -> None:
        """Show this submission; search for it when the current frame does not hold it."""
        ids = (
            self.frame.get_column("submission_id").to_list() if self.frame.width else []
        )
        if submission_id in ids:
            self.position = ids.index(submission_id)
            self._show()
        else:
            self.search.value = submission_id

    def _mapped(self, frame: pl.DataFrame, integration: str | None) -> pl.DataFrame:
        columns = ["submission_id", "status", "reason", "notes", "body"]
        if frame.is_empty():
            mapped = pl.DataFrame(
                schema={
                    **dict.fromkeys(columns, pl.String),
                    "notes": pl.List(pl.String),
                }
            )
        else:
            ids = frame.get_column("submission_id").to_list()
            mapped = self.tk.preview(integration, submission_ids=ids, limit=len(ids))
        return mapped.select(columns).rename({"status": "mapping_status"})

    def _show(self) -> None:
        if self.frame.is_empty():
            self.submission, self.body = None, None
            self.changes = pl.DataFrame(schema=FIELD_SCHEMA)
            self.counter.value = "0 of 0"
            self.header.value = "<i>No submission matches these filters.</i>"
            self.fields.value = self.mapping.value = self.request.value = ""
            return

        row = self.frame.row(self.position, named=True)
        self.submission = row
        self.body = json.loads(row["body"]) if row["body"] else None
        self.changes = field_changes(row, row)

        more = " (the first loaded)" if self.frame.height >= self.limit else ""
        self.counter.value = f"{self.position + 1} of {self.frame.height}{more}"
        self.header.value = _div(_header_html(row))
        self.fields.value = _div(_pane("Anedot fields, as received", _json(row["raw"])))
        self.mapping.value = _div(_pane("Mapping rows", _changes_html(self.changes)))
        self.request.value = _div(_pane("Klaviyo request body", _body_html(row)))


def mapping_preview(
    tk: Toolkit,
    *,
    integration: str | None = None,
    submission_id: str | None = None,
    search: str = "",
    frame: pl.DataFrame | None = None,
    limit: int = PREVIEW_ROWS,
) -> MappingPreview:
    """The mapping preview: by `submission_id`, by a `search` on email or name, or
    stepping through `frame` (any frame with a `submission_id` column), within an
    integration's scope and value unit when one is named."""
    ids = frame.get_column("submission_id").to_list() if frame is not None else None
    return MappingPreview(
        tk,
        integration=integration,
        search=submission_id or search,
        ids=ids,
        limit=limit,
    )


def _find_submissions(
    tk: Toolkit,
    integration: str | None,
    kind: Any,
    search: str,
    ids: tuple[str, ...] | None,
    limit: int,
) -> pl.DataFrame:
    settings = tk.integration(integration).settings if integration else _EVERYTHING
    selection = Selection(mode="all", kind=kind, submission_ids=ids)
    sql, params = scope_query(settings, selection, columns="s.*", ordered=False)
    condition, more = _search_condition(search)
    with tk.store.connect() as con:
        return con.sql(
            f"""SELECT * FROM ({sql}) WHERE {condition}
                ORDER BY created_at, submission_id LIMIT {int(limit)}""",
            params=[*params, *more],
        ).pl()


def _search_condition(search: str) -> tuple[str, list[object]]:
    """Every word must match the id's start, the email, the name or the phone's digits."""
    clauses: list[str] = []
    params: list[object] = []
    for term in search.lower().split():
        options = [
            "starts_with(lower(submission_id), ?)",
            "contains(lower(coalesce(email, '')), ?)",
            "contains(lower(concat_ws(' ', first_name, last_name)), ?)",
        ]
        params.extend([term] * 3)
        digits = re.sub(r"\D", "", term)
        if len(digits) >= 4:
            options.append(
                "contains(regexp_replace(coalesce(phone, ''), '[^0-9]', '', 'g'), ?)"
            )
            params.append(digits)
        clauses.append(f"({' OR '.join(options)})")
    return (" AND ".join(clauses) or "TRUE"), params


def _only(frame: pl.DataFrame, show: str) -> pl.DataFrame:
    if show == "rejected":
        return frame.filter(pl.col("mapping_status") == "rejected")
    if show == "changed":
        changed = pl.element().str.contains("normalized|dropped")
        return frame.filter(pl.col("notes").list.eval(changed).list.any())
    return frame


def _header_html(row: Mapping[str, Any]) -> str:
    facts = [
        f"<b>{_e(row['submission_id'])}</b>",
        _e(row["kind"]),
        _e(row.get("status")),
        _e(row.get("action_page_name")),
        _e(_text(row["created_at"])),
    ]
    header = " · ".join(fact for fact in facts if fact)
    if row["mapping_status"] == "rejected":
        header += (
            f"<div class='kt-alert'>Klaviyo would refuse this event: "
            f"{_e(row['reason'])}. A push records it as rejected and never sends it."
            "</div>"
        )
    notes = "".join(f"<li>{_e(note)}</li>" for note in row["notes"] or [])
    return header + (f"<ul>{notes}</ul>" if notes else "")


def _changes_html(changes: pl.DataFrame) -> str:
    head = (
        "<tr><th>Anedot</th><th>value</th><th>Klaviyo</th><th>sent</th><th></th></tr>"
    )
    rows = [
        f"<tr class='kt-{_e(r['change'])}' title='{_e(r['transform'])}'>"
        f"<td>{_e(r['anedot'])}</td><td>{_e(r['value'])}</td>"
        f"<td>{_e(r['klaviyo'])}</td><td>{_e(r['sent'])}</td>"
        f"<td><b>{_e(r['change'])}</b> {_e(r['note'])}</td></tr>"
        for r in changes.iter_rows(named=True)
    ]
    return f"<table>{head}{''.join(rows)}</table>"


def _body_html(row: Mapping[str, Any]) -> str:
    if row["body"] is None:
        return f"<div class='kt-alert'>Not sent: {_e(row['reason'])}</div>"
    return _json(row["body"])


# Push panel -----------------------------------------------------------------------------


class PushPanel(_Face):
    """Filters, a live count of what would be sent, a confirmed Push and its results.

    State: `dry_run` (the PushReport of the last count), `report` (the PushReport of
    the last real push), `results` (one row per submission that push touched, with its
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
        names = _names(tk)
        self.integration = w.Dropdown(
            description="Integration",
            options=names,
            value=integration or (names[0] if names else None),
        )
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
            description="Payment", options=[ANY, *_payment_statuses(tk)]
        )
        self.since = w.DatePicker(description="Since")
        self.until = w.DatePicker(description="Until")
        self.mode = w.ToggleButtons(description="Mode", options=["unsent", "all"])
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

        filters = (self.integration, self.pages, self.team, self.kind)
        for control in (*filters, self.payment_status, self.since, self.until):
            control.observe(lambda _: self.recount(), names="value")
        self.mode.observe(lambda _: self.recount(), names="value")
        self.integration.observe(lambda _: self._show_state(), names="value")
        self.push_button.on_click(lambda _: self.ask())
        self.confirm.on_click(lambda _: self.push())
        self.cancel.on_click(lambda _: self._hide_confirmation())
        self.widget = w.VBox(
            [
                w.HTML(_STYLE),
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
            self.count.value = _div(f"<span class='kt-bad'>{_e(error)}</span>")
            return None
        report = self.dry_run
        self.count.value = _div(
            f"<b>{report.sendable}</b> events would be sent to {_e(name)}; "
            f"{report.rejected} refused locally ({report.selected} selected)."
        )
        return report

    def ask(self) -> None:
        """The Push button: count again and ask for confirmation; nothing is sent yet."""
        report = self.recount()
        if report is None or report.selected == 0:
            return

        name = self.integration.value
        self._pending = {"name": name, **self.push_arguments()}
        base_url = self.tk.integration(name).settings.base_url
        self.prompt.value = (
            f"Send <b>{report.sendable}</b> events to <b>{_e(name)}</b> "
            f"({_e(base_url)})?"
        )
        self.confirmation.layout.display = "flex"

    def push(self) -> PushReport | None:
        """The Confirm button: run the push that Push asked about, and nothing else."""
        pending, self._pending = self._pending, None
        self._hide_confirmation()
        if pending is None:
            return None

        name = pending.pop("name")
        self.bar.value, self.bar.max = (
            0,
            max(1, self.dry_run.selected if self.dry_run else 1),
        )
        try:
            report = self.tk.push(
                name, **pending, options=self.options, progress=self._on_progress
            )
        except ToolkitError as error:
            self.result.value = _div(f"<div class='kt-alert'>{_e(error)}</div>")
            self._show_state()
            return None

        self.report = report
        self.results = push_results(self.tk, report.push_id)
        self.bar.value = self.bar.max
        self.result.value = _div(_report_html(report, self.results))
        self._show_state()
        self.recount()
        return report

    def _pages(self) -> list[str] | None:
        """The chosen pages, narrowed to the team's pages when a team is chosen."""
        chosen = list(self.pages.value)
        team = _chosen(self.team.value)
        if team is None:
            return chosen or None
        candidates = chosen or list(self._page_teams)
        return [page for page in candidates if self._page_teams.get(page) == team]

    def _on_progress(self, progress: PushProgress) -> None:
        # Called after every result: redraw only every percent, or the kernel would send
        # a message per event.
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
        found = self.tk.integration(name)
        self.integration_state = found
        self.state.value = _div(_state_html(found))


def push_panel(
    tk: Toolkit, *, integration: str | None = None, options: PushOptions | None = None
) -> PushPanel:
    """The push panel; `options` (a fast clock, say) go to every real push."""
    return PushPanel(tk, integration=integration, options=options)


def push_results(tk: Toolkit, push_id: str) -> pl.DataFrame:
    """One row per submission a push touched: outcome, requests sent, status, reason.

    Failures come first, then local rejections, then deliveries.
    """
    with tk.store.connect() as con:
        frame = con.sql(
            f"""SELECT submission_id, outcome, requests, http_status, reason
                FROM ({_OUTCOME_SQL.format(where="push_id = ?")})
                ORDER BY CASE outcome WHEN 'delivered' THEN 2 WHEN 'rejected' THEN 1
                         ELSE 0 END, submission_id""",
            params=[push_id],
        ).pl()
    return frame.cast(RESULT_SCHEMA)  # type: ignore[arg-type]


def _payment_statuses(tk: Toolkit) -> list[str]:
    with tk.store.connect() as con:
        rows = con.execute(
            "SELECT DISTINCT status FROM submissions WHERE status IS NOT NULL ORDER BY 1"
        ).fetchall()
    return [row[0] for row in rows]


def _report_html(report: PushReport, results: pl.DataFrame) -> str:
    counts = (
        f"<span class='kt-ok'>{report.delivered} delivered</span>, "
        f"<span class='kt-bad'>{report.failed} failed</span>, "
        f"{report.rejected} rejected, {report.not_sent} not sent; "
        f"{report.requests} requests ({report.throttled} throttled) "
        f"in {report.seconds:.1f} s, {report.endpoint} endpoint."
    )
    if report.inactive:
        counts += (
            f"<div class='kt-alert'>{_e(report.integration)} turned inactive: "
            f"{_e(report.inactive_reason)}</div>"
        )
    problems = results.filter(pl.col("outcome") != "delivered")
    return counts + _frame_html(problems, title="Not delivered")


def _state_html(found: Integration) -> str:
    threshold = found.settings.failure_threshold
    if found.active:
        state = (
            f"<span class='kt-ok'>● {_e(found.name)} is active</span>, "
            f"{found.consecutive_failures} of {threshold} failures in a row"
        )
    else:
        state = (
            f"<div class='kt-alert'>■ {_e(found.name)} is inactive since "
            f"{_e(_text(found.inactive_since))}: {_e(found.inactive_reason)}. "
            f"Reactivate it with tk.reactivate({found.name!r}).</div>"
        )
    if found.last_error:
        state += f"<br>Last error: {_e(found.last_error)}"
    return state


# Relay health ---------------------------------------------------------------------------


class RelayHealth(_Face):
    """Attempts over time, failure streaks and the unsent backlog, with the status table.

    State: `status` (`Toolkit.status()`), and `frames` and `charts` by name
    ('attempts', 'streaks', 'backlog'): altair charts a notebook can save as PNG or HTML.
    """

    def __init__(self, tk: Toolkit, *, integration: str | None = None) -> None:
        self.tk = tk
        self.status = pl.DataFrame()
        self.frames: dict[str, pl.DataFrame] = {}
        self.charts: dict[str, Any] = {}

        self.integration = w.Dropdown(
            description="Integration",
            options=[ANY, *_names(tk)],
            value=integration or ANY,
        )
        self.refresh_button = w.Button(description="Refresh")
        self.summary = w.HTML()
        self.output = w.Output()
        self.integration.observe(lambda _: self.refresh(), names="value")
        self.refresh_button.on_click(lambda _: self.refresh())
        self.widget = w.VBox(
            [
                w.HTML(_STYLE),
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
        self.summary.value = _div(_frame_html(shown, title="Integrations"))
        # Outside IPython there is no frontend to draw on; the charts stay in `.charts`.
        if get_ipython() is None:
            return
        self.output.clear_output(wait=True)
        with self.output:
            for chart in self.charts.values():
                display(chart)


def relay_health(tk: Toolkit, *, integration: str | None = None) -> RelayHealth:
    """Relay-health plots and the status table, for all integrations or one."""
    return RelayHealth(tk, integration=integration)


# Donor history --------------------------------------------------------------------------


def donor_frame(tk: Toolkit, email_or_phone: str) -> pl.DataFrame:
    """Every submission of one donor, newest first, with its outcome per integration.

    One row per submission and integration: `outcome` is delivered, failed, rejected or
    throttled from the attempts, else 'unsent' when the submission is in the
    integration's scope and 'out of scope' when it is not.
    """
    found = _donor_submissions(tk, email_or_phone)
    ids = found.get_column("submission_id").to_list()
    with tk.store.connect() as con:
        outcomes = con.sql(
            _OUTCOME_SQL.format(where="list_contains(?::VARCHAR[], submission_id)"),
            params=[ids],
        ).pl()

    in_scope = _in_scope(tk, ids)
    names = sorted({*_names(tk), *outcomes.get_column("integration")})
    integrations = pl.DataFrame(
        {"integration": names or [None]}, schema={"integration": pl.String}
    )
    keys = ["integration", "submission_id"]
    grid = (
        found.join(integrations, how="cross")
        .join(outcomes, on=keys, how="left")
        .join(in_scope, on=keys, how="left")
    )
    outcome = (
        pl.when(pl.col("outcome").is_not_null())
        .then(pl.col("outcome"))
        .when(pl.col("integration").is_null())
        .then(pl.lit("no integration"))
        .when(pl.col("in_scope"))
        .then(pl.lit("unsent"))
        .otherwise(pl.lit("out of scope"))
    )
    return (
        grid.with_columns(outcome=outcome)
        .select(
            "created_at",
            "submission_id",
            "kind",
            "amount",
            pl.col("status").alias("payment_status"),
            "action_page_name",
            "email",
            "phone",
            "integration",
            "outcome",
            pl.col("requests").fill_null(0),
            "last_attempt_at",
            "reason",
        )
        .sort(["created_at", "integration"], descending=[True, False])
    )


def _donor_submissions(tk: Toolkit, email_or_phone: str) -> pl.DataFrame:
    """The donor's submissions: the same email, or a phone that is the same number."""
    text = email_or_phone.strip()
    if not text:
        raise ConfigError("Give an email address or a phone number to look up.")
    if "@" in text:
        with tk.store.connect() as con:
            return con.sql(
                "SELECT * FROM submissions WHERE lower(trim(email)) = ?",
                params=[text.lower()],
            ).pl()

    digits = re.sub(r"\D", "", text)
    if len(digits) < 7:
        raise ConfigError(f"{text!r} is neither an email address nor a phone number.")
    with tk.store.connect() as con:
        candidates = con.sql(
            """SELECT * FROM submissions
               WHERE ends_with(regexp_replace(coalesce(phone, ''), '[^0-9]', '', 'g'), ?)""",
            params=[digits[-7:]],
        ).pl()

    # A valid number matches in any format; one that is not valid, digit for digit.
    wanted = to_e164(text)
    if wanted is None:
        stored = candidates.get_column("phone").str.replace_all(r"\D", "")
        return candidates.filter(stored == digits)
    return candidates.filter(normalize_phones(candidates.get_column("phone")) == wanted)


def _in_scope(tk: Toolkit, ids: list[str]) -> pl.DataFrame:
    rows: list[tuple[str, str]] = []
    selection = Selection(mode="all", submission_ids=tuple(ids))
    with tk.store.connect() as con:
        for found in tk.integrations():
            sql, params = scope_query(found.settings, selection, ordered=False)
            rows.extend(
                (found.name, row[0]) for row in con.execute(sql, params).fetchall()
            )
    return pl.DataFrame(
        [(*row, True) for row in rows],
        schema={
            "integration": pl.String,
            "submission_id": pl.String,
            "in_scope": pl.Boolean,
        },
        orient="row",
    )


class DonorHistory(_Face):
    """One donor's submissions and what became of each, per integration.

    The history a Klaviyo profile shows, seen from our side. State: `query`, `frame`
    (`donor_frame`: a row per submission and integration) and `submissions` (a row per
    submission).
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
                w.HTML(_STYLE),
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
            self.summary.value = _div(f"<span class='kt-bad'>{_e(error)}</span>")
            self.table.value = ""
            return

        self.submissions = self.frame.unique("submission_id", maintain_order=True).drop(
            "integration", "outcome", "requests", "last_attempt_at", "reason"
        )
        self.summary.value = _div(_donor_summary(self.submissions))
        self.table.value = _div(_frame_html(self.frame, title="History"))


def donor_history(tk: Toolkit, email_or_phone: str = "") -> DonorHistory:
    """Every submission of one donor (donations and leads) with its relay outcomes."""
    return DonorHistory(tk, email_or_phone)


def _donor_summary(submissions: pl.DataFrame) -> str:
    if submissions.is_empty():
        return "<i>No submission from this donor.</i>"
    donations = submissions.filter(pl.col("kind") == "donation")
    total = donations.get_column("amount").sum()
    first, last = submissions["created_at"].min(), submissions["created_at"].max()
    return (
        f"<b>{submissions.height}</b> submissions: {donations.height} donations "
        f"(${total} in all), {submissions.height - donations.height} leads; "
        f"from {_e(_text(first))} to {_e(_text(last))}."
    )


# Shared helpers -------------------------------------------------------------------------


def _names(tk: Toolkit) -> list[str]:
    return [found.name for found in tk.integrations()]


def _chosen(value: Any) -> Any:
    """A dropdown's value, with '(any)' as None."""
    return None if value == ANY else value


def _text(value: Any) -> str | None:
    """A value as the preview shows it; None for nothing at all."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal | float | int | str):
        return str(value)
    return json.dumps(value)


def _e(value: object) -> str:
    return "" if value is None else html.escape(str(value))


def _div(content: str) -> str:
    return f"<div class='kt'>{content}</div>"


def _pane(title: str, content: str) -> str:
    return f"<h4>{_e(title)}</h4>{content}"


def _json(text: str | None) -> str:
    pretty = json.dumps(json.loads(text), indent=2, ensure_ascii=False) if text else ""
    return f"<pre>{_e(pretty)}</pre>"


def _frame_html(frame: pl.DataFrame, *, title: str) -> str:
    if frame.is_empty():
        return f"<h4>{_e(title)}</h4><i>none</i>"
    head = "".join(f"<th>{_e(column)}</th>" for column in frame.columns)
    rows = "".join(
        "<tr>" + "".join(f"<td>{_e(_text(value))}</td>" for value in row) + "</tr>"
        for row in frame.head(SHOWN_ROWS).iter_rows()
    )
    more = (
        f"<i>{frame.height - SHOWN_ROWS} more rows in the frame</i>"
        if frame.height > SHOWN_ROWS
        else ""
    )
    return f"<h4>{_e(title)}</h4><table><tr>{head}</tr>{rows}</table>{more}"
