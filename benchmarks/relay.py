"""Relay throughput against Klaviyo's real limits, on a sped-up clock.

A generated set is pushed through the simulator (in its own process, enforcing Klaviyo's
two windows for each endpoint) once one event per request and once in bulk jobs. The
clock runs `--speed` times faster on both sides, so a Klaviyo minute passes in less than
a real one; the figures do not depend on the speed as long as the machine keeps up.

Two figures per run:
- the steady fraction: events sent in the full one-minute windows after the first (the
  first has the burst allowance, the last is cut short), divided by what the steady
  limit allows in them. This is the rate a long backfill keeps.
- the whole-run fraction: the shortest time the windows allow for that many requests,
  divided by the time the push took, edge effects included.

    python -m benchmarks.relay [--single 13300] [--bulk 570000] [--runs 3]
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from collections import deque
from pathlib import Path
from typing import Any

import polars as pl

from klaviyo_toolkit import Clock, PushOptions, Toolkit, sample
from klaviyo_toolkit.ratelimit import BULK_LIMITS, EVENT_LIMITS, Limits

from .common import median, simulator_process, simulator_stats, write_results

TARGET_FRACTION = 0.9


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


def steady_fraction(
    tk: Toolkit, name: str, *, speed: float, limits: Limits, bulk: bool
) -> float | None:
    """Requests answered in the full windows after the first, over what they allow."""
    answered = (
        tk.attempts(name, outcome="delivered", limit=10_000_000)
        .group_by("request_id")
        .agg(pl.col("attempted_at").min())
        .get_column("attempted_at")
        .sort()
    )
    if answered.is_empty():
        return None
    start = answered[0]
    clock = [float((moment - start).total_seconds()) * speed for moment in answered]
    windows = math.floor(clock[-1] / 60.0)
    if windows < 2:
        return None
    in_full = sum(1 for t in clock if 60.0 <= t < 60.0 * windows)
    return round(float(in_full) / (limits.steady * (windows - 1)), 3)


def prepare(folder: Path, count: int) -> Toolkit:
    frame = sample.generate(count, seed=11)
    path = folder / f"set-{count}.jsonl"
    sample.write_camel_jsonl(frame, path)
    tk = Toolkit(folder / f"relay-{count}.duckdb")
    tk.ingest(path)
    return tk


def one_run(tk: Toolkit, *, bulk: bool, speed: float, run: int) -> dict[str, Any]:
    name = f"{'bulk' if bulk else 'single'}-{run}"
    with simulator_process(speed=speed) as base_url:
        tk.add_integration(name, api_key="pk_" + "b" * 30, base_url=base_url)
        started = time.perf_counter()
        report = tk.push(
            name, mode="all", bulk=bulk, options=PushOptions(clock=Clock(speed))
        )
        seconds = time.perf_counter() - started
        stats = simulator_stats(base_url)

    limits = BULK_LIMITS if bulk else EVENT_LIMITS
    clock_seconds = seconds * speed
    ideal = ideal_seconds(report.requests, limits)
    steady = steady_fraction(tk, name, speed=speed, limits=limits, bulk=bulk)
    return {
        "steady_fraction": steady,
        "events": report.sendable,
        "delivered": report.delivered,
        "requests": report.requests,
        "wall_seconds": round(seconds, 3),
        "clock_seconds": round(clock_seconds, 2),
        "ideal_clock_seconds": round(ideal, 2),
        "fraction_of_limit": round(ideal / clock_seconds, 3) if clock_seconds else 0.0,
        "events_per_clock_second": round(report.delivered / clock_seconds, 1),
        "accepted_at_simulator": stats["accepted_events"],
        "lost": report.sendable - stats["accepted_events"],
        "throttled": int(stats["by_status"].get("429", 0)),
    }


def case(
    count: int, *, bulk: bool, speed: float, runs: int, folder: Path
) -> dict[str, Any]:
    tk = prepare(folder, count)
    results = [one_run(tk, bulk=bulk, speed=speed, run=run) for run in range(runs)]
    fraction = median([r["fraction_of_limit"] for r in results])
    steady = median([r["steady_fraction"] for r in results if r["steady_fraction"]])
    limits = BULK_LIMITS if bulk else EVENT_LIMITS
    steady_events = limits.steady * (1_000 if bulk else 1) / 60
    return {
        "endpoint": "bulk" if bulk else "single",
        "submissions": count,
        "speed": speed,
        "runs": results,
        "median_steady_fraction": steady,
        "median_fraction_of_limit": fraction,
        "steady_limit_events_per_second": round(steady_events, 1),
        "median_events_per_clock_second": median(
            [r["events_per_clock_second"] for r in results]
        ),
        "lost": max(r["lost"] for r in results),
        "throttled": max(r["throttled"] for r in results),
        "target": TARGET_FRACTION,
        "met": steady >= TARGET_FRACTION and all(r["lost"] == 0 for r in results),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--single", type=int, default=13_300, help="events, one a request"
    )
    parser.add_argument("--bulk", type=int, default=570_000, help="events in bulk jobs")
    parser.add_argument("--single-speed", type=float, default=3.0)
    parser.add_argument("--bulk-speed", type=float, default=1.5)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        cases = [
            case(
                args.single,
                bulk=False,
                speed=args.single_speed,
                runs=args.runs,
                folder=Path(folder),
            ),
            case(
                args.bulk,
                bulk=True,
                speed=args.bulk_speed,
                runs=args.runs,
                folder=Path(folder),
            ),
        ]
    for found in cases:
        print(
            f"{found['endpoint']:>6}: {found['submissions']:,} submissions, "
            f"steady {found['median_steady_fraction']:.3f} of the limit, "
            f"whole run {found['median_fraction_of_limit']:.3f} "
            f"({found['median_events_per_clock_second']:,.0f} events a Klaviyo second, "
            f"steady limit {found['steady_limit_events_per_second']:,.0f}), "
            f"lost {found['lost']}, throttled {found['throttled']}, "
            f"{'met' if found['met'] else 'NOT met'}"
        )
    floors = {
        "bulk_1m_minutes": round(ideal_seconds(1_000, BULK_LIMITS) / 60, 2),
        "single_1m_hours": round(ideal_seconds(1_000_000, EVENT_LIMITS) / 3600, 2),
    }
    print(f"floors for 1,000,000 events at Klaviyo's limits: {floors}")
    path = write_results("relay", {"cases": cases, "floors_at_real_clock": floors})
    print(f"written to {path}")


if __name__ == "__main__":
    main()
