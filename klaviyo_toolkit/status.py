"""Read-side queries: the status of every integration, attempts, submissions.

These are what the faces poll, so each is one statement over the store, cheap on a
million attempts, and none holds the file longer than the query.
"""

from __future__ import annotations

import duckdb
import polars as pl

from .integrations import Integration, read_all
from .scope import Selection, scope_query
from .store import Store, frame

__all__ = ["attempt_counts", "integration_status", "recent_attempts"]

STATUS_SCHEMA = {
    "name": pl.String,
    "active": pl.Boolean,
    "consecutive_failures": pl.Int64,
    "failure_threshold": pl.Int64,
    "in_scope": pl.Int64,
    "delivered": pl.Int64,
    "failed": pl.Int64,
    "rejected": pl.Int64,
    "unsent": pl.Int64,
    "last_success_at": pl.String,
    "last_error": pl.String,
    "inactive_since": pl.String,
    "inactive_reason": pl.String,
    "key": pl.String,
}


def attempt_counts(store: Store) -> pl.DataFrame:
    """Per integration: distinct submissions delivered, failed and rejected.

    A submission counts as failed only when it was never delivered.
    """
    with store.connect() as con:
        return _attempt_counts(con)


def _attempt_counts(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    return frame(
        con,
        """
            WITH per_submission AS (
                SELECT integration, submission_id,
                       bool_or(outcome = 'delivered') AS delivered,
                       bool_or(outcome = 'failed') AS failed,
                       bool_or(outcome = 'rejected') AS rejected
                FROM relay_attempts GROUP BY integration, submission_id
            )
            SELECT integration,
                   count(*) FILTER (WHERE delivered) AS delivered,
                   count(*) FILTER (WHERE failed AND NOT delivered) AS failed,
                   count(*) FILTER (WHERE rejected AND NOT delivered) AS rejected
            FROM per_submission GROUP BY integration
            """,
    )


def integration_status(store: Store) -> pl.DataFrame:
    """One row per integration with the counts `status --json` promises.

    Everything is read on one connection: opening the file costs more than the queries.
    """
    with store.connect() as con:
        integrations = read_all(con)
        counts = {
            row["integration"]: row
            for row in _attempt_counts(con).iter_rows(named=True)
        }
        rows = []
        for integration in integrations:
            in_scope = _count(con, integration, Selection(mode="all"))
            unsent = _count(con, integration, Selection(mode="unsent"))
            found = counts.get(integration.name, {})
            info = integration.as_dict()
            rows.append(
                {
                    "name": integration.name,
                    "active": integration.active,
                    "consecutive_failures": integration.consecutive_failures,
                    "failure_threshold": integration.settings.failure_threshold,
                    "in_scope": int(in_scope),
                    "delivered": int(found.get("delivered", 0)),
                    "failed": int(found.get("failed", 0)),
                    "rejected": int(found.get("rejected", 0)),
                    "unsent": int(unsent),
                    "last_success_at": info["last_success_at"],
                    "last_error": integration.last_error,
                    "inactive_since": info["inactive_since"],
                    "inactive_reason": integration.inactive_reason,
                    "key": integration.settings.key_hint,
                }
            )
    return pl.DataFrame(rows, schema=STATUS_SCHEMA)


def _count(
    con: duckdb.DuckDBPyConnection, integration: Integration, selection: Selection
) -> int:
    sql, params = scope_query(
        integration.settings, selection, columns="count(*)", ordered=False
    )
    return int(con.execute(sql, params).fetchall()[0][0])


def recent_attempts(
    store: Store,
    *,
    integration: str | None = None,
    outcome: str | None = None,
    limit: int = 200,
) -> pl.DataFrame:
    """The newest attempts first, optionally for one integration or one outcome.

    Attempts written in one batch share a time, so ties are broken by request and
    submission: a log polled twice over the same rows shows them in the same order.
    """
    conditions = ["TRUE"]
    params: list[object] = []
    if integration is not None:
        conditions.append("integration = ?")
        params.append(integration)
    if outcome is not None:
        conditions.append("outcome = ?")
        params.append(outcome)
    params.append(limit)
    with store.connect() as con:
        return frame(
            con,
            f"""SELECT attempted_at, integration, submission_id, endpoint, mode,
                       http_status, outcome, error_code, error_title, error_detail,
                       duration_ms, push_id, request_id
                FROM relay_attempts WHERE {" AND ".join(conditions)}
                ORDER BY attempted_at DESC, request_id DESC, submission_id DESC
                LIMIT ?""",
            params,
        )
