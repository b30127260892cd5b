"""HTML for the notebook widgets: escaped tables and panes, styled by one small sheet.

Every value passes through `html.escape`, since submissions are text strangers typed.
The classes of `STYLE` mark what the mapping did to a field (normalized, moved, scaled,
dropped), so that the preview highlights it.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from typing import Any

import polars as pl

from .integrations import Integration
from .notebook_data import display_text
from .relay import PushReport

__all__ = [
    "SHOWN_ROWS",
    "STYLE",
    "alert",
    "body_html",
    "changes_html",
    "donor_summary_html",
    "escape",
    "frame_html",
    "header_html",
    "pane",
    "pretty_json",
    "report_html",
    "state_html",
    "styled",
]

SHOWN_ROWS = 50
"""Rows of a table drawn in HTML; the frame attribute of the widget holds them all."""

STYLE = """<style>
.kt table {border-collapse: collapse; font-size: 12px}
.kt td, .kt th {text-align: left; padding: 2px 8px; vertical-align: top}
.kt tr.kt-normalized td {background: #fff3c4}
.kt tr.kt-moved td {background: #dbeafe}
.kt tr.kt-scaled td {background: #dcfce7}
.kt tr.kt-dropped td, .kt tr.kt-refused td {background: #fde2e1}
.kt tr.kt-absent td {color: #999}
.kt .kt-alert {background: #fde2e1; border-left: 4px solid #c62828; padding: 4px 8px}
.kt .kt-ok {color: #2e7d32}
.kt .kt-bad {color: #c62828}
.kt pre {font-size: 11px; max-height: 480px; overflow: auto; margin: 0}
</style>"""


def escape(value: object) -> str:
    return "" if value is None else html.escape(str(value))


def styled(content: str) -> str:
    """Content inside the block that `STYLE` applies to."""
    return f"<div class='kt'>{content}</div>"


def alert(message: object) -> str:
    return styled(f"<div class='kt-alert'>{escape(message)}</div>")


def pane(title: str, content: str) -> str:
    return styled(f"<h4>{escape(title)}</h4>{content}")


def pretty_json(text: str | None) -> str:
    pretty = json.dumps(json.loads(text), indent=2, ensure_ascii=False) if text else ""
    return f"<pre>{escape(pretty)}</pre>"


def frame_html(frame: pl.DataFrame, *, title: str) -> str:
    """A titled table of the first `SHOWN_ROWS` rows, saying how many more there are."""
    if frame.is_empty():
        return styled(f"<h4>{escape(title)}</h4><i>none</i>")
    head = "".join(f"<th>{escape(column)}</th>" for column in frame.columns)
    rows = "".join(
        "<tr>"
        + "".join(f"<td>{escape(display_text(value))}</td>" for value in row)
        + "</tr>"
        for row in frame.head(SHOWN_ROWS).iter_rows()
    )
    more = frame.height - SHOWN_ROWS
    tail = f"<i>{more} more rows in the frame</i>" if more > 0 else ""
    return styled(f"<h4>{escape(title)}</h4><table><tr>{head}</tr>{rows}</table>{tail}")


# Mapping preview ----------------------------------------------------------------------


def header_html(row: Mapping[str, Any]) -> str:
    """What the submission is, why Klaviyo would refuse it, and the mapping's notes."""
    facts = [
        f"<b>{escape(row['submission_id'])}</b>",
        escape(row["kind"]),
        escape(row.get("status")),
        escape(row.get("action_page_name")),
        escape(display_text(row["created_at"])),
    ]
    header = " · ".join(fact for fact in facts if fact)
    if row["mapping_status"] == "rejected":
        header += (
            "<div class='kt-alert'>Klaviyo would refuse this event: "
            f"{escape(row['reason'])}. A push records it as rejected and never "
            "sends it.</div>"
        )
    notes = "".join(f"<li>{escape(note)}</li>" for note in row["notes"] or [])
    return styled(header + (f"<ul>{notes}</ul>" if notes else ""))


def changes_html(changes: pl.DataFrame) -> str:
    """The mapping rows, each highlighted by what it did to this submission."""
    head = (
        "<tr><th>Anedot</th><th>value</th><th>Klaviyo</th><th>sent</th><th></th></tr>"
    )
    rows = [
        f"<tr class='kt-{escape(r['change'])}' title='{escape(r['transform'])}'>"
        f"<td>{escape(r['anedot'])}</td><td>{escape(r['value'])}</td>"
        f"<td>{escape(r['klaviyo'])}</td><td>{escape(r['sent'])}</td>"
        f"<td><b>{escape(r['change'])}</b> {escape(r['note'])}</td></tr>"
        for r in changes.iter_rows(named=True)
    ]
    return f"<table>{head}{''.join(rows)}</table>"


def body_html(row: Mapping[str, Any]) -> str:
    if row["body"] is None:
        return f"<div class='kt-alert'>Not sent: {escape(row['reason'])}</div>"
    return pretty_json(row["body"])


# Push panel ---------------------------------------------------------------------------


def report_html(report: PushReport, results: pl.DataFrame) -> str:
    """A push's counts, why it stopped if it did, and the submissions not delivered."""
    counts = (
        f"<span class='kt-ok'>{report.delivered} delivered</span>, "
        f"<span class='kt-bad'>{report.failed} failed</span>, "
        f"{report.rejected} rejected, {report.not_sent} not sent; "
        f"{report.requests} requests ({report.throttled} throttled) "
        f"in {report.seconds:.1f} s, {report.endpoint} endpoint."
    )
    if report.inactive:
        counts += (
            f"<div class='kt-alert'>{escape(report.integration)} turned inactive: "
            f"{escape(report.inactive_reason)}</div>"
        )
    problems = results.filter(pl.col("outcome") != "delivered")
    return styled(counts) + frame_html(problems, title="Not delivered")


def state_html(found: Integration) -> str:
    """Active or not, and the failure streak against the threshold."""
    threshold = found.settings.failure_threshold
    if found.active:
        state = (
            f"<span class='kt-ok'>● {escape(found.name)} is active</span>, "
            f"{found.consecutive_failures} of {threshold} failures in a row"
        )
    else:
        state = (
            f"<div class='kt-alert'>■ {escape(found.name)} is inactive since "
            f"{escape(display_text(found.inactive_since))}: "
            f"{escape(found.inactive_reason)}. "
            f"Reactivate it with tk.reactivate({escape(repr(found.name))}).</div>"
        )
    if found.last_error:
        state += f"<br>Last error: {escape(found.last_error)}"
    return styled(state)


# Donor history ------------------------------------------------------------------------


def donor_summary_html(submissions: pl.DataFrame) -> str:
    if submissions.is_empty():
        return styled("<i>No submission from this donor.</i>")
    donations = submissions.filter(pl.col("kind") == "donation")
    total = donations.get_column("amount").sum()
    first = submissions.get_column("created_at").min()
    last = submissions.get_column("created_at").max()
    return styled(
        f"<b>{submissions.height}</b> submissions: {donations.height} donations "
        f"(${escape(total)} in all), {submissions.height - donations.height} leads; "
        f"from {escape(display_text(first))} to {escape(display_text(last))}."
    )
