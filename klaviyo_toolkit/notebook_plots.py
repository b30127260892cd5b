"""Relay-health plots for the notebook face: small frames from the store, then charts.

Each plot is two functions: one reads an aggregate frame from the store (never the
attempts themselves, so a store with a million attempts answers at once), the other
turns that frame into an altair chart. Splitting them lets a notebook reshape a frame
before drawing it, and lets tests check both without a browser. The charts are plain
altair objects: they render in JupyterLab, and `chart.save("health.png")` or
`.save("health.html")` exports them (PNG through vl-convert).

This module draws; it does not import ipywidgets. `klaviyo_toolkit.notebook` wraps the
charts in a widget.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import altair as alt
import polars as pl

from .health import unsent_by_day
from .toolkit import Toolkit

__all__ = [
    "BACKLOG_DAYS",
    "OUTCOMES",
    "attempts_chart",
    "attempts_over_time",
    "backlog_chart",
    "failure_streaks",
    "health_charts",
    "streaks_chart",
    "unsent_backlog",
]

OUTCOMES = ("delivered", "failed", "throttled", "rejected")
OUTCOME_COLORS = ("#2e7d32", "#c62828", "#f9a825", "#6d4c41")
MAX_BUCKETS = 120
"""Attempts are counted per second, minute, hour or day: the finest with at most this
many buckets over the whole history."""
BACKLOG_DAYS = 366
"""Days of unsent backlog drawn: a year of days with something left to send."""
CHART_WIDTH = 560

_UNITS = (("second", 1), ("minute", 60), ("hour", 3_600), ("day", 86_400))
# Vega-Lite time units that make a bar as wide as its bucket.
_TIME_UNITS: dict[str, Any] = {
    "second": "utcyearmonthdatehoursminutesseconds",
    "minute": "utcyearmonthdatehoursminutes",
    "hour": "utcyearmonthdatehours",
    "day": "utcyearmonthdate",
}

ATTEMPTS_SCHEMA = pl.Schema(
    {
        "bucket": pl.Datetime("us", "UTC"),
        "integration": pl.String(),
        "outcome": pl.String(),
        "attempts": pl.Int64(),
        "unit": pl.String(),
    }
)
STREAKS_SCHEMA = pl.Schema(
    {
        "integration": pl.String(),
        "attempted_at": pl.Datetime("us", "UTC"),
        "push_id": pl.String(),
        "outcome": pl.String(),
        "streak": pl.Int64(),
        "threshold": pl.Int64(),
    }
)
BACKLOG_SCHEMA = pl.Schema(
    {"integration": pl.String(), "day": pl.Date(), "unsent": pl.Int64()}
)


def attempts_over_time(
    tk: Toolkit, *, integration: str | None = None, unit: str | None = None
) -> pl.DataFrame:
    """Attempts per time bucket, integration and outcome, with the bucket's `unit`.

    `unit` is 'second', 'minute', 'hour' or 'day'; by default the finest one that keeps
    the whole history within `MAX_BUCKETS` buckets.
    """
    where, params = _integration_filter(integration)
    with tk.store.connect() as con:
        ((first, last),) = con.execute(
            f"SELECT min(attempted_at), max(attempted_at) FROM relay_attempts {where}",
            params,
        ).fetchall()
        if first is None:
            return pl.DataFrame(schema=ATTEMPTS_SCHEMA)
        chosen = unit or _unit_for(first, last)
        if chosen not in dict(_UNITS):
            raise ValueError(f"unit must be one of {', '.join(dict(_UNITS))}")

        frame: pl.DataFrame = con.sql(
            f"""SELECT date_trunc('{chosen}', attempted_at) AS bucket, integration,
                       outcome, count(*) AS attempts, '{chosen}' AS unit
                FROM relay_attempts {where}
                GROUP BY ALL ORDER BY bucket, integration, outcome""",
            params=params,
        ).pl()
    return frame.cast(ATTEMPTS_SCHEMA)


def attempts_chart(frame: pl.DataFrame) -> alt.Chart:
    """Stacked bars of attempts over time, coloured by outcome, one row per integration.

    Each bar spans its bucket (a second, minute, hour or day, from the frame's `unit`),
    and each integration gets its own y scale so a quiet one is not flattened.
    """
    unit = frame.get_column("unit")[0] if frame.height else "minute"
    time_unit = _TIME_UNITS[unit]
    chart: alt.Chart = (
        alt.Chart(frame, title=f"Relay attempts by outcome, per {unit}")
        .mark_bar()
        .encode(
            x=alt.X("bucket:T", timeUnit=time_unit, title="attempted at (UTC)"),
            y=alt.Y("sum(attempts):Q", title="attempts"),
            color=_outcome_color(),
            row=alt.Row("integration:N", title=None),
            tooltip=[
                "integration:N",
                "outcome:N",
                alt.Tooltip("bucket:T", timeUnit=time_unit, title="bucket"),
                alt.Tooltip("sum(attempts):Q", title="attempts"),
            ],
        )
        .properties(width=CHART_WIDTH, height=110)
        .resolve_scale(y="independent")
    )
    return chart


def failure_streaks(tk: Toolkit, *, integration: str | None = None) -> pl.DataFrame:
    """The failure streak after each request that changed it, with the threshold.

    A request is one row however many events it carried; throttled answers and local
    rejections never touch a streak and are left out, and so are the deliveries that
    did not end a streak (they would only draw zeros).
    """
    where, params = _integration_filter(integration, prefix="a.")
    with tk.store.connect() as con:
        requests: pl.DataFrame = con.sql(
            f"""
            WITH requests AS (
                SELECT a.integration, a.request_id, any_value(a.push_id) AS push_id,
                       min(a.attempted_at) AS attempted_at,
                       any_value(a.outcome) AS outcome
                FROM relay_attempts a {where}
                {"AND" if where else "WHERE"} a.outcome IN ('delivered', 'failed')
                GROUP BY a.integration, a.request_id
            ), ordered AS (
                SELECT *, lag(outcome) OVER (
                    PARTITION BY integration ORDER BY attempted_at, request_id
                ) AS previous
                FROM requests
            )
            SELECT o.integration, o.attempted_at, o.push_id, o.outcome,
                   coalesce(i.failure_threshold, 5) AS threshold
            FROM ordered o LEFT JOIN integrations i ON i.name = o.integration
            WHERE o.outcome = 'failed' OR o.previous = 'failed'
            ORDER BY o.integration, o.attempted_at, o.request_id
            """,
            params=params,
        ).pl()
    return _with_streaks(requests)


def _with_streaks(requests: pl.DataFrame) -> pl.DataFrame:
    """Count streaks in order; few rows reach here, as most requests succeed quietly.

    An integration that reached its threshold sends nothing until someone reactivates
    it, and that resets its streak. So a push that starts after the threshold was
    reached starts from zero, although the reactivation itself is not an attempt.
    """
    streaks: list[int] = []
    current: dict[str, tuple[int, str | None]] = {}
    for name, push_id, outcome, threshold in requests.select(
        "integration", "push_id", "outcome", "threshold"
    ).iter_rows():
        streak, last_push = current.get(name, (0, None))
        if push_id != last_push and streak >= threshold:
            streak = 0
        streak = streak + 1 if outcome == "failed" else 0
        current[name] = (streak, push_id)
        streaks.append(streak)

    with_streaks = requests.with_columns(streak=pl.Series(streaks, dtype=pl.Int64))
    return with_streaks.select(list(STREAKS_SCHEMA)).cast(STREAKS_SCHEMA)


def streaks_chart(frame: pl.DataFrame) -> alt.LayerChart:
    """Each integration's failure streak as a step line, its threshold dashed."""
    thresholds = frame.group_by("integration").agg(pl.col("threshold").max())
    line = (
        alt.Chart(frame)
        .mark_line(interpolate="step-after", point=True)
        .encode(
            x=alt.X(
                "attempted_at:T",
                title="attempted at (UTC)",
                scale=alt.Scale(type="utc"),
            ),
            y=alt.Y("streak:Q", title="failures in a row"),
            color=alt.Color("integration:N"),
            tooltip=["integration:N", "attempted_at:T", "streak:Q", "push_id:N"],
        )
    )
    rule = (
        alt.Chart(thresholds)
        .mark_rule(strokeDash=[6, 4])
        .encode(
            y="threshold:Q",
            color=alt.Color("integration:N"),
            tooltip=["integration:N", "threshold:Q"],
        )
    )
    return alt.LayerChart(
        layer=[line, rule],
        title="Failure streaks against the threshold (dashed: turns inactive)",
        width=CHART_WIDTH,
        height=180,
    )


def unsent_backlog(
    tk: Toolkit, *, integration: str | None = None, days: int = BACKLOG_DAYS
) -> pl.DataFrame:
    """Per integration, in-scope submissions not delivered yet, by creation day."""
    frames = [
        unsent_by_day(tk.store, found.settings, days=days).select(
            pl.lit(found.name).alias("integration"), "day", "unsent"
        )
        for found in tk.integrations()
        if integration is None or found.name == integration
    ]
    if not frames:
        return pl.DataFrame(schema=BACKLOG_SCHEMA)
    return pl.concat(frames).cast(BACKLOG_SCHEMA).sort("integration", "day")


def backlog_chart(frame: pl.DataFrame) -> alt.Chart:
    """Bars of unsent submissions per creation day, one colour per integration."""
    chart: alt.Chart = (
        alt.Chart(frame, title="Unsent backlog by the day submissions were made")
        .mark_bar()
        .encode(
            x=alt.X("day:T", timeUnit="utcyearmonthdate", title="created on (UTC)"),
            y=alt.Y("unsent:Q", title="not delivered", stack=True),
            color=alt.Color("integration:N"),
            tooltip=["integration:N", "day:T", "unsent:Q"],
        )
        .properties(width=CHART_WIDTH, height=180)
    )
    return chart


def health_charts(
    tk: Toolkit, *, integration: str | None = None
) -> dict[str, alt.TopLevelMixin]:
    """The three health charts by name: 'attempts', 'streaks' and 'backlog'."""
    return {
        "attempts": attempts_chart(attempts_over_time(tk, integration=integration)),
        "streaks": streaks_chart(failure_streaks(tk, integration=integration)),
        "backlog": backlog_chart(unsent_backlog(tk, integration=integration)),
    }


def _outcome_color() -> alt.Color:
    return alt.Color(
        "outcome:N",
        scale=alt.Scale(domain=list(OUTCOMES), range=list(OUTCOME_COLORS)),
        title="outcome",
    )


def _integration_filter(
    integration: str | None, *, prefix: str = ""
) -> tuple[str, list[object]]:
    if integration is None:
        return "", []
    return f"WHERE {prefix}integration = ?", [integration]


def _unit_for(first: datetime, last: datetime) -> str:
    span = (last - first).total_seconds()
    for unit, seconds in _UNITS:
        if span / seconds <= MAX_BUCKETS:
            return unit
    return _UNITS[-1][0]
