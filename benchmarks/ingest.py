"""Ingest against DuckDB's bare `read_json` of the same file.

Ours reads the JSONL file, normalizes both of Anedot's shapes, validates, quarantines
bad rows and inserts into the store with duplicate checks; the anchor is DuckDB reading
the same file into a table with no checks at all. Each run writes into a fresh file.
Medians of `--runs` runs in one process.

    python -m benchmarks.ingest [--size 1000000] [--runs 3]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb

from klaviyo_toolkit import Toolkit, sample

from .common import median, write_results

TARGET_RATIO = 2.0


def ours(source: Path, folder: Path, run: int) -> float:
    tk = Toolkit(folder / f"ours-{run}.duckdb")
    tk.integrations()
    started = time.perf_counter()
    report = tk.ingest(source)
    seconds = time.perf_counter() - started
    assert report.stored > 0
    return seconds


def anchor(source: Path, folder: Path, run: int) -> float:
    con = duckdb.connect(str(folder / f"anchor-{run}.duckdb"))
    try:
        started = time.perf_counter()
        con.execute(
            f"CREATE TABLE raw AS SELECT * FROM read_json('{source}', "
            "format = 'newline_delimited')"
        )
        con.execute("CHECKPOINT")
        return time.perf_counter() - started
    finally:
        con.close()


def measure(size: int, runs: int) -> dict[str, Any]:
    """`runs` runs of each side over one generated file of `size` submissions."""
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        source = folder / "submissions.jsonl"
        sample.write_camel_jsonl(sample.generate(size, seed=31), source)
        anchor_runs = [anchor(source, folder, run) for run in range(runs)]
        ours_runs = [ours(source, folder, run) for run in range(runs)]

    ratio = median(ours_runs) / median(anchor_runs)
    return {
        "submissions": size,
        "ours_seconds": [round(s, 3) for s in ours_runs],
        "anchor_seconds": [round(s, 3) for s in anchor_runs],
        "median_ours_seconds": round(median(ours_runs), 3),
        "median_anchor_seconds": round(median(anchor_runs), 3),
        "ratio": round(ratio, 2),
        "target_ratio": TARGET_RATIO,
        "met": ratio <= TARGET_RATIO,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    result = measure(args.size, args.runs)

    print(
        f"{args.size:,} submissions: ours {result['median_ours_seconds']:.1f} s, "
        f"bare read_json {result['median_anchor_seconds']:.1f} s, "
        f"{result['ratio']:.1f}x (target <= {TARGET_RATIO:g}x: "
        f"{'met' if result['met'] else 'NOT met'})"
    )
    print(f"written to {write_results('ingest', result)}")


if __name__ == "__main__":
    main()
