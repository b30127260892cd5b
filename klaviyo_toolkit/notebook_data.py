"""What the notebook widgets show, as plain frames: no widget, no HTML.

The mapping applied to one submission field by field, the outcome of each submission a
push touched, and one donor's history across integrations. `klaviyo_toolkit.notebook`
draws these; a notebook (or a test) can call them directly.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

import polars as pl

from .errors import ConfigError
from .mapping import MAPPING, MappingRow
from .phones import normalize_phones, to_e164
from .scope import Selection, scope_query
from .settings import IntegrationSettings
from .toolkit import Toolkit

__all__ = [
    "FIELD_SCHEMA",
    "RESULT_SCHEMA",
    "display_text",
    "donor_frame",
    "field_changes",
    "find_submissions",
    "payment_statuses",
    "push_results",
    "showing",
]

FIELD_SCHEMA = pl.Schema(
    dict.fromkeys(
        ("anedot", "value", "klaviyo", "sent", "transform", "change", "note"), pl.String
    )
)
RESULT_SCHEMA = pl.Schema(
    {
        "submission_id": pl.String,
        "outcome": pl.String,
        "requests": pl.Int64,
        "http_status": pl.Int64,
        "reason": pl.String,
    }
)
Showing = Literal["all", "rejected", "changed"]

# Every submission, by no integration: the whole store, as Toolkit.preview reads it.
_EVERYTHING = IntegrationSettings(name="(all)", api_key_env="UNUSED")

# A submission's outcome for one integration, from all its attempts: delivered once is
# delivered for good (unique_id makes resends harmless), else the latest outcome counts.
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


# The mapping, field by field --------------------------------------------------------


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
    value = display_text(submission.get(row.column)) if row.column else None
    sent = display_text(_sent_value(body, row.klaviyo)) if body is not None else None
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
        return "moved", row.note or "Klaviyo wants address parts inside location."
    if row.column == "amount":
        note = _note_about(notes, "amount", "value")
        return ("scaled" if "x 100" in note else "kept"), note
    if row.column == "created_at":
        return "normalized", "ISO 8601 with a UTC offset"
    if value != sent:
        fallback = f"{value!r} sent as {sent!r}"
        return "normalized", _note_about(notes, row.column, "normalized") or fallback
    return "kept", row.note


def _note_about(notes: list[str], field: str, word: str) -> str:
    return next((n for n in notes if n.startswith(field) and word in n), "")


def _sent_value(body: Mapping[str, Any], path: str) -> Any:
    """The value at a Klaviyo path of the mapping table ('profile.location.zip')."""
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
        return roots[root].get(rest)  # a property key may hold spaces or dots
    node = roots[root]
    for part in rest.split("."):
        node = node.get(part) if isinstance(node, Mapping) else None
    return node


# Choosing submissions to preview ------------------------------------------------------


def find_submissions(
    tk: Toolkit,
    *,
    integration: str | None = None,
    kind: Literal["donation", "lead"] | None = None,
    search: str = "",
    ids: tuple[str, ...] | None = None,
    limit: int,
) -> pl.DataFrame:
    """Stored submissions, oldest first, in an integration's scope when one is named.

    `search` matches each of its words against the id's start, the email, the name or
    (for four digits or more) the phone's digits; `ids` keeps only those submissions.
    """
    settings = tk.integration(integration).settings if integration else _EVERYTHING
    selection = Selection(mode="all", kind=kind, submission_ids=ids)
    sql, params = scope_query(settings, selection, columns="s.*", ordered=False)
    condition, more = _search_condition(search)

    with tk.store.connect() as con:
        frame: pl.DataFrame = con.sql(
            f"""SELECT * FROM ({sql}) WHERE {condition}
                ORDER BY created_at, submission_id LIMIT {int(limit)}""",
            params=[*params, *more],
        ).pl()
    return frame


def _search_condition(search: str) -> tuple[str, list[object]]:
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
            options.append(f"contains({_DIGITS_SQL}, ?)")
            params.append(digits)
        clauses.append(f"({' OR '.join(options)})")
    return (" AND ".join(clauses) or "TRUE"), params


_DIGITS_SQL = "regexp_replace(coalesce(phone, ''), '[^0-9]', '', 'g')"


def showing(frame: pl.DataFrame, show: Showing) -> pl.DataFrame:
    """Previewed rows: all, the ones Klaviyo would refuse, or the ones the mapping
    changed (a phone normalized, a field dropped)."""
    if show == "rejected":
        return frame.filter(pl.col("mapping_status") == "rejected")
    if show == "changed":
        changed = pl.element().str.contains("normalized|dropped")
        return frame.filter(pl.col("notes").list.eval(changed).list.any())
    return frame


# Pushes -------------------------------------------------------------------------------


def push_results(tk: Toolkit, push_id: str) -> pl.DataFrame:
    """One row per submission a push touched: outcome, requests sent, status, reason.

    Failures come first, then local rejections, then deliveries.
    """
    with tk.store.connect() as con:
        frame: pl.DataFrame = con.sql(
            f"""SELECT submission_id, outcome, requests, http_status, reason
                FROM ({_OUTCOME_SQL.format(where="push_id = ?")})
                ORDER BY CASE outcome WHEN 'delivered' THEN 2 WHEN 'rejected' THEN 1
                         ELSE 0 END, submission_id""",
            params=[push_id],
        ).pl()
    return frame.cast(RESULT_SCHEMA)


def payment_statuses(tk: Toolkit) -> list[str]:
    """The payment statuses stored submissions have ('completed', 'refunded', ...)."""
    with tk.store.connect() as con:
        rows = con.execute(
            "SELECT DISTINCT status FROM submissions WHERE status IS NOT NULL "
            "ORDER BY status"
        ).fetchall()
    return [row[0] for row in rows]


# One donor ----------------------------------------------------------------------------


def donor_frame(tk: Toolkit, email_or_phone: str) -> pl.DataFrame:
    """Every submission of one donor, newest first, with its outcome per integration.

    One row per submission and integration: `outcome` is delivered, failed, rejected or
    throttled from the attempts, else 'unsent' when the submission is in the
    integration's scope and 'out of scope' when it is not.
    """
    found = _donor_submissions(tk, email_or_phone)
    ids = found.get_column("submission_id").to_list()
    with tk.store.connect() as con:
        outcomes: pl.DataFrame = con.sql(
            _OUTCOME_SQL.format(where="list_contains(?::VARCHAR[], submission_id)"),
            params=[ids],
        ).pl()

    names = sorted({*_names(tk), *outcomes.get_column("integration")})
    integrations = pl.DataFrame(
        {"integration": names or [None]}, schema={"integration": pl.String}
    )
    keys = ["integration", "submission_id"]
    grid = (
        found.join(integrations, how="cross")
        .join(outcomes, on=keys, how="left")
        .join(_in_scope(tk, ids), on=keys, how="left")
    )
    return (
        grid.with_columns(outcome=_outcome())
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


def _outcome() -> pl.Expr:
    return (
        pl.when(pl.col("outcome").is_not_null())
        .then(pl.col("outcome"))
        .when(pl.col("integration").is_null())
        .then(pl.lit("no integration"))
        .when(pl.col("in_scope"))
        .then(pl.lit("unsent"))
        .otherwise(pl.lit("out of scope"))
    )


def _donor_submissions(tk: Toolkit, email_or_phone: str) -> pl.DataFrame:
    """The donor's submissions: the same email, or a phone that is the same number."""
    text = email_or_phone.strip()
    if not text:
        raise ConfigError("Give an email address or a phone number to look up.")
    if "@" in text:
        with tk.store.connect() as con:
            by_email: pl.DataFrame = con.sql(
                "SELECT * FROM submissions WHERE lower(trim(email)) = ?",
                params=[text.lower()],
            ).pl()
        return by_email

    digits = re.sub(r"\D", "", text)
    if len(digits) < 7:
        raise ConfigError(f"{text!r} is neither an email address nor a phone number.")
    with tk.store.connect() as con:
        candidates: pl.DataFrame = con.sql(
            f"SELECT * FROM submissions WHERE ends_with({_DIGITS_SQL}, ?)",
            params=[digits[-7:]],
        ).pl()

    # A valid number matches in any format; one that is not valid, digit for digit.
    wanted = to_e164(text)
    if wanted is None:
        stored = candidates.get_column("phone").str.replace_all(r"\D", "")
        return candidates.filter(stored == digits)
    return candidates.filter(normalize_phones(candidates.get_column("phone")) == wanted)


def _in_scope(tk: Toolkit, ids: list[str]) -> pl.DataFrame:
    rows: list[tuple[str, str, bool]] = []
    selection = Selection(mode="all", submission_ids=tuple(ids))
    with tk.store.connect() as con:
        for found in tk.integrations():
            sql, params = scope_query(found.settings, selection, ordered=False)
            matched = con.execute(sql, params).fetchall()
            rows.extend((found.name, row[0], True) for row in matched)
    return pl.DataFrame(
        rows,
        schema={
            "integration": pl.String,
            "submission_id": pl.String,
            "in_scope": pl.Boolean,
        },
        orient="row",
    )


def _names(tk: Toolkit) -> list[str]:
    return [found.name for found in tk.integrations()]


def display_text(value: Any) -> str | None:
    """A value as the widgets show it; None for nothing at all."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal | float | int | str):
        return str(value)
    return json.dumps(value)
