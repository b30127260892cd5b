"""How long one klaviyo-tui refresh takes on a store with a million relay attempts.

A refresh is what the app's poll worker runs every two seconds, `Source.live`: every
integration's state and streak, the newest attempts for the relay log, the header
totals and, with a detail screen open, its failures and attempts per minute. The
counts (`Source.counts`: `Toolkit.status()` and the unsent backlog) are timed too; the
app reads them only when the store changed, and at most a fifth of the time (see
`source.py`). The store is made with DuckDB SQL over `range()`, in seconds.

    python -m benchmarks.tui_refresh [--attempts N] [--runs N] [--db PATH]

Target: under 100 ms per refresh (median). The figures go to
`benchmarks/results/tui_refresh.json`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from klaviyo_tui.source import LogFilter, Source

from klaviyo_toolkit import Toolkit

from .common import median, write_results

ATTEMPTS = 1_000_000
SUBMISSIONS = 200_000
INTEGRATIONS = 4
RUNS = 21
COUNTS_RUNS = 5
TARGET_MS = 100.0
NOW = datetime(2026, 4, 1, 12, 0, tzinfo=UTC)

# About 90% delivered, 5% failed, 4% throttled, 1% rejected, spread over the last day.
_ATTEMPTS_SQL = """
INSERT INTO relay_attempts
SELECT 'bench-' || (i % $integrations) AS integration,
       'sub-' || ((i * 7919) % $submissions) AS submission_id,
       'push-' || (i // 10000) AS push_id,
       'req-' || i AS request_id,
       $now - ($attempts - i) * INTERVAL 86 MILLISECOND AS attempted_at,
       'event' AS endpoint,
       'unsent' AS mode,
       CASE WHEN r < 90 THEN 202 WHEN r < 95 THEN 503 WHEN r < 99 THEN 429 END,
       CASE WHEN r < 90 THEN 'delivered' WHEN r < 95 THEN 'failed'
            WHEN r < 99 THEN 'throttled' ELSE 'rejected' END AS outcome,
       CASE WHEN r BETWEEN 90 AND 94 THEN 'service_unavailable' END,
       CASE WHEN r BETWEEN 90 AND 94 THEN 'Service Unavailable' END,
       CASE WHEN r BETWEEN 90 AND 94 THEN 'Try again later.' END,
       40.0 + r AS duration_ms
FROM (SELECT range AS i, hash(range) % 100 AS r FROM range($attempts))
"""

_SUBMISSIONS_SQL = """
INSERT INTO submissions (submission_id, kind, status, action_page_id, created_at,
                         amount, email, ingested_at)
SELECT 'sub-' || range, 'donation', 'completed', 'page-' || (range % 12),
       TIMESTAMPTZ '2026-01-05 00:00:00+00' + range * INTERVAL 38 SECOND,
       25.00, 'donor' || range || '@example.org', $now
FROM range($submissions)
"""


def build_store(
    path: Path, *, attempts: int = ATTEMPTS, submissions: int = SUBMISSIONS
) -> Toolkit:
    """A store with `INTEGRATIONS` integrations and `attempts` attempts among them."""
    tk = Toolkit(path)
    for number in range(INTEGRATIONS):
        tk.add_integration(f"bench-{number}", api_key_env="BENCH_KLAVIYO_KEY")

    with tk.store.transaction() as con:
        con.execute(_SUBMISSIONS_SQL, {"submissions": submissions, "now": NOW})
        con.execute(
            _ATTEMPTS_SQL,
            {
                "integrations": INTEGRATIONS,
                "submissions": submissions,
                "attempts": attempts,
                "now": NOW,
            },
        )
    return tk


def timings_ms(step: Callable[[], object], runs: int) -> list[float]:
    """The wall time of `runs` calls, after one call that is not counted.

    Every call opens the file afresh, as a refresh in the app does, so the first call
    only warms the operating system's file cache, never DuckDB's.
    """
    step()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        step()
        times.append((time.perf_counter() - started) * 1000)
    return times


def measure(db: Path, runs: int) -> dict[str, list[float]]:
    """Milliseconds of each call of each kind of refresh, and of the counts."""
    source = Source(db)
    everything = LogFilter()
    failed_only = LogFilter(integration="bench-1", outcome="failed")
    return {
        "refresh, main screen": timings_ms(
            lambda: source.live(everything, None, now=NOW), runs
        ),
        "refresh, log filtered": timings_ms(
            lambda: source.live(failed_only, None, now=NOW), runs
        ),
        "refresh, detail screen open": timings_ms(
            lambda: source.live(everything, "bench-0", now=NOW), runs
        ),
        # Read only when the store changed, so fewer runs say enough.
        "counts, when the store changed": timings_ms(
            lambda: source.counts("bench-0", now=NOW), min(runs, COUNTS_RUNS)
        ),
    }


def run(
    attempts: int = ATTEMPTS, runs: int = RUNS, *, db: Path | None = None
) -> dict[str, Any]:
    """Build a store of `attempts` attempts (unless `db` exists) and time refreshes."""
    with tempfile.TemporaryDirectory(prefix="tui-bench-") as folder:
        path = db or Path(folder) / "bench.duckdb"
        started = time.perf_counter()
        if not path.exists():
            build_store(path, attempts=attempts)
        built = time.perf_counter() - started
        timings = measure(path, runs)

    medians = {name: round(median(ms), 1) for name, ms in timings.items()}
    worst = max(ms for name, ms in medians.items() if name.startswith("refresh"))
    return {
        "attempts": attempts,
        "runs": runs,
        "build_seconds": round(built, 1),
        "median_ms": medians,
        "worst_refresh_ms": worst,
        "every_run_ms": {
            name: [round(ms, 1) for ms in values] for name, values in timings.items()
        },
        "target_ms": TARGET_MS,
        "met": worst < TARGET_MS,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attempts", type=int, default=ATTEMPTS)
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--db", type=Path, help="keep the store here (default: temp)")
    args = parser.parse_args(argv)

    reused = args.db is not None and args.db.exists()
    result = run(args.attempts, args.runs, db=args.db)

    if not reused:
        print(f"built {args.attempts:,} attempts in {result['build_seconds']:.1f} s")
    for name, ms in result["median_ms"].items():
        print(f"{name}: {ms:.1f} ms (median)")
    verdict = "met" if result["met"] else "MISSED"
    print(f"target {TARGET_MS:.0f} ms per refresh: {verdict}")
    print(f"recorded in {write_results('tui_refresh', result)}")
    return 0 if result["met"] else 1


if __name__ == "__main__":
    sys.exit(main())
