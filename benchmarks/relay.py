"""Relay throughput against Klaviyo's real limits, on a sped-up clock.

A generated set is pushed through the simulator (in its own process, enforcing Klaviyo's
two windows for each endpoint) once one event per request and once in bulk jobs, each
push from a child process of its own (see `child`), which also gives its peak memory.
The clock runs `--speed` times faster on both sides, so a Klaviyo minute passes in less
than a real one; the figures do not depend on the speed as long as the machine keeps up.

Two figures per run:
- the steady fraction: events sent in the full one-minute windows after the first (the
  first has the burst allowance, the last is cut short), divided by what the steady
  limit allows in them. This is the rate a long backfill keeps.
- the whole-run fraction: the shortest time the windows allow for that many requests,
  divided by the time the push took, edge effects included.

A backfill (`backfill`) adds the wall time the same push would take at the real clock,
beside the floor Klaviyo's bulk limits allow and the time one event a request needs.

    python -m benchmarks.relay [--single 13300] [--bulk 570000] [--runs 3]
"""

from __future__ import annotations

import argparse
import math
import tempfile
from collections import deque
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import polars as pl

from klaviyo_toolkit import Toolkit, sample
from klaviyo_toolkit.bulk import MAX_BULK_EVENTS
from klaviyo_toolkit.ratelimit import BULK_LIMITS, EVENT_LIMITS, Limits

from .child import push_in_child
from .common import median, simulator_process, simulator_stats, write_results

TARGET_FRACTION = 0.9
TARGET_OVER_FLOOR = 1.1
"""A backfill may take at most 10% longer than the floor of Klaviyo's bulk limits."""
KEY = "pk_" + "b" * 30
SINGLE_SPEED = 3.0
BULK_SPEED = 1.5


def ideal_seconds(requests: int, limits: Limits) -> float:
    """The shortest time both windows allow for `requests`, each sent when allowed."""
    burst: deque[float] = deque()
    steady: deque[float] = deque()
    now = 0.0
    for _ in range(requests):
        while True:
            while burst and burst[0] <= now - 1.0:
                burst.popleft()
            while steady and steady[0] <= now - 60.0:
                steady.popleft()
            wait = 0.0
            if len(burst) >= limits.burst:
                wait = max(wait, burst[0] + 1.0 - now)
            if len(steady) >= limits.steady:
                wait = max(wait, steady[0] + 60.0 - now)
            if wait <= 0:
                break
            now += wait
        burst.append(now)
        steady.append(now)
    # The last request is sent at `now`; count it as taking no time of its own.
    return now


def steady_fraction(clock: Sequence[float], limits: Limits) -> float | None:
    """Requests answered in the full windows after the first, over what they allow.

    `clock` holds the clock seconds of each answered request since the first answer.
    """
    if not clock:
        return None
    windows = math.floor(max(clock) / 60.0)
    if windows < 2:
        return None
    in_full = sum(1 for t in clock if 60.0 <= t < 60.0 * windows)
    return round(float(in_full) / (limits.steady * (windows - 1)), 3)


def timeline(tk: Toolkit, name: str, *, speed: float) -> pl.DataFrame:
    """One row per request and outcome, in clock seconds since the first delivery."""
    per_request = (
        tk.attempts(name, limit=10_000_000)
        .group_by("request_id", "outcome")
        .agg(pl.col("attempted_at").min())
    )
    first = pl.col("attempted_at").filter(pl.col("outcome") == "delivered").min()
    since = pl.col("attempted_at") - first
    return per_request.with_columns(
        clock=since.dt.total_microseconds().cast(pl.Float64) / 1e6 * speed
    )


def prepare(folder: Path, count: int) -> Toolkit:
    """A store with `count` generated submissions, made once per folder and count."""
    db = folder / f"relay-{count}.duckdb"
    if db.exists():
        return Toolkit(db)

    frame = sample.generate(count, seed=11)
    path = folder / f"set-{count}.jsonl"
    sample.write_camel_jsonl(frame, path)
    tk = Toolkit(db)
    tk.ingest(path)
    return tk


def one_run(
    tk: Toolkit, *, bulk: bool, speed: float, run: int, latency: float = 0.0
) -> dict[str, Any]:
    name = f"{'bulk' if bulk else 'single'}-{run}"
    with simulator_process(speed=speed, extra=latency_option(latency)) as base_url:
        tk.add_integration(name, api_key=KEY, base_url=base_url)
        pushed = push_in_child(tk.path, name, speed=speed, bulk=bulk)
        stats = simulator_stats(base_url)

    report = pushed.report
    limits = BULK_LIMITS if bulk else EVENT_LIMITS
    clock_seconds = report["seconds"] * speed
    ideal = ideal_seconds(report["requests"], limits)
    requests = timeline(tk, name, speed=speed)
    answered = requests.filter(pl.col("outcome") == "delivered")
    throttled = requests.filter(pl.col("outcome") == "throttled")
    return {
        "steady_fraction": steady_fraction(answered["clock"].to_list(), limits),
        "events": report["sendable"],
        "delivered": report["delivered"],
        "requests": report["requests"],
        "wall_seconds": round(report["seconds"], 3),
        "clock_seconds": round(clock_seconds, 2),
        "ideal_clock_seconds": round(ideal, 2),
        "fraction_of_limit": round(ideal / clock_seconds, 3) if clock_seconds else 0.0,
        "events_per_clock_second": round(report["delivered"] / clock_seconds, 1)
        if clock_seconds
        else 0.0,
        "accepted_at_simulator": stats["accepted_events"],
        "lost": report["sendable"] - stats["accepted_events"],
        "throttled": int(stats["by_status"].get("429", 0)),
        "throttled_after_first_window": throttled.filter(pl.col("clock") >= 60).height,
        "peak_rss_mb": pushed.peak_rss_mb,
    }


def latency_option(latency: float) -> tuple[str, ...]:
    """The simulator's option that holds each answer `latency` clock seconds."""
    return ("--latency", str(latency)) if latency else ()


def case(
    count: int,
    *,
    bulk: bool,
    speed: float,
    runs: int,
    folder: Path,
    latency: float = 0.0,
) -> dict[str, Any]:
    tk = prepare(folder, count)
    results = [
        one_run(tk, bulk=bulk, speed=speed, run=run, latency=latency)
        for run in range(runs)
    ]

    steadies = [r["steady_fraction"] for r in results if r["steady_fraction"]]
    steady = median(steadies) if steadies else None
    limits = BULK_LIMITS if bulk else EVENT_LIMITS
    steady_events = limits.steady * (MAX_BULK_EVENTS if bulk else 1) / 60
    lost = max(r["lost"] for r in results)
    return {
        "endpoint": "bulk" if bulk else "single",
        "submissions": count,
        "speed": speed,
        "latency": latency,
        "runs": results,
        "median_steady_fraction": steady,
        "median_fraction_of_limit": median([r["fraction_of_limit"] for r in results]),
        "steady_limit_events_per_second": round(steady_events, 1),
        "median_events_per_clock_second": median(
            [r["events_per_clock_second"] for r in results]
        ),
        "median_clock_seconds": median([r["clock_seconds"] for r in results]),
        "lost": lost,
        "throttled": max(r["throttled"] for r in results),
        "throttled_after_first_window": max(
            r["throttled_after_first_window"] for r in results
        ),
        "peak_rss_mb": max(r["peak_rss_mb"] for r in results),
        "target": TARGET_FRACTION,
        "met": steady is not None and steady >= TARGET_FRACTION and lost == 0,
    }


def backfill(count: int, *, speed: float, runs: int, folder: Path) -> dict[str, Any]:
    """A bulk push of `count` submissions, and its wall time at the real clock."""
    found = case(count, bulk=True, speed=speed, runs=runs, folder=folder)
    return {**found, "real_clock": projection(found)}


def projection(found: dict[str, Any]) -> dict[str, Any]:
    """The measured push at Klaviyo's real clock, beside the floors for its size.

    On the sped-up clock a push's clock seconds are the seconds it would take at the
    real one, as long as the machine keeps up with the windows.
    """
    submissions = found["submissions"]
    requests = math.ceil(submissions / MAX_BULK_EVENTS)
    minutes = found["median_clock_seconds"] / 60
    floor = requests / BULK_LIMITS.steady
    rate = found["median_events_per_clock_second"]

    return {
        "minutes": round(minutes, 2),
        "floor_minutes": round(floor, 2),
        "over_floor": round(minutes / floor, 3),
        "floor_with_burst_minutes": round(ideal_seconds(requests, BULK_LIMITS) / 60, 2),
        "one_by_one_hours": round(submissions / EVENT_LIMITS.steady / 60, 2),
        "million_minutes_at_this_rate": round(1_000_000 / rate / 60, 2)
        if rate
        else None,
        "target_over_floor": TARGET_OVER_FLOOR,
        "met": minutes <= floor * TARGET_OVER_FLOOR and found["lost"] == 0,
    }


def describe(found: dict[str, Any]) -> str:
    steady = found["median_steady_fraction"]
    return (
        f"{found['endpoint']:>6}: {found['submissions']:,} submissions, "
        f"steady {'-' if steady is None else f'{steady:.3f}'} of the limit, "
        f"whole run {found['median_fraction_of_limit']:.3f} "
        f"({found['median_events_per_clock_second']:,.0f} events a Klaviyo second, "
        f"steady limit {found['steady_limit_events_per_second']:,.0f}), "
        f"lost {found['lost']}, throttled {found['throttled']}, "
        f"peak {found['peak_rss_mb']:,.0f} MB, {'met' if found['met'] else 'NOT met'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--single", type=int, default=13_300, help="events, one a request"
    )
    parser.add_argument("--bulk", type=int, default=570_000, help="events in bulk jobs")
    parser.add_argument("--single-speed", type=float, default=SINGLE_SPEED)
    parser.add_argument("--bulk-speed", type=float, default=BULK_SPEED)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        single = case(
            args.single,
            bulk=False,
            speed=args.single_speed,
            runs=args.runs,
            folder=folder,
        )
        bulk = backfill(args.bulk, speed=args.bulk_speed, runs=args.runs, folder=folder)

    for found in (single, bulk):
        print(describe(found))
    print(f"at the real clock: {bulk['real_clock']}")
    floors = {
        "bulk_1m_minutes": round(ideal_seconds(1_000, BULK_LIMITS) / 60, 2),
        "single_1m_hours": round(ideal_seconds(1_000_000, EVENT_LIMITS) / 3600, 2),
    }
    print(f"floors for 1,000,000 events at Klaviyo's limits: {floors}")
    path = write_results(
        "relay", {"cases": [single, bulk], "floors_at_real_clock": floors}
    )
    print(f"written to {path}")


if __name__ == "__main__":
    main()
