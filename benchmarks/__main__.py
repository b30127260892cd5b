"""The whole performance suite in one process run.

    python -m benchmarks [--size N] [--runs N] [--only CASE[,CASE]] [--keep]
                         [--quick] [--single N] [--latency SECONDS] [--out DIR]

Generates its data with the seeded generator, runs every case (or the ones named),
prints one table (case, ours, anchor, ratio, target, met) and writes `results.json`
and `results.md` to `--out` (default: this folder), again after each case, so that a
run cut short keeps what it measured. `--keep` keeps the rows of an earlier run that
this one does not measure, each with its own date and sizes. Each module also runs
alone as `python -m benchmarks.<module>` and records its own figures in `results/`
(not kept in the repository: the suite's two files are the record).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from . import report
from .runner import CASES, QUICK, Row, Settings, run

HERE = Path(__file__).resolve().parent


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--size",
        type=int,
        help="submissions for mapping, ingest, the bulk backfill and peak memory "
        "(default 1,000,000)",
    )
    parser.add_argument(
        "--single", type=int, help="events through the single endpoint (default 13,300)"
    )
    parser.add_argument("--runs", type=int, help="runs of each case (default 3)")
    parser.add_argument(
        "--latency",
        type=float,
        help="clock seconds the simulator holds each single-endpoint answer, for ours "
        "and the SDK alike: a network's round trip (default 0)",
    )
    parser.add_argument(
        "--only", help=f"cases separated by commas, from: {', '.join(CASES)}"
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the other cases of the results already in --out",
    )
    parser.add_argument(
        "--quick", action="store_true", help="tiny sizes, to check the suite works"
    )
    parser.add_argument(
        "--out", type=Path, default=HERE, help="folder for results.json and results.md"
    )
    args = parser.parse_args(argv)

    args.cases = _cases(parser, args.only)
    return args


def _cases(parser: argparse.ArgumentParser, only: str | None) -> list[str]:
    if only is None:
        return list(CASES)
    names = [name.strip() for name in only.split(",") if name.strip()]
    unknown = [name for name in names if name not in CASES]
    if unknown or not names:
        named = f"unknown case {', '.join(unknown)}" if unknown else "no case named"
        parser.error(f"{named}; pick from {', '.join(CASES)}")
    return names


def settings(args: argparse.Namespace) -> Settings:
    chosen = QUICK if args.quick else Settings()
    given = {
        "submissions": args.size,
        "single": args.single,
        "runs": args.runs,
        "latency": args.latency,
    }
    return dataclasses.replace(
        chosen, **{key: value for key, value in given.items() if value is not None}
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    chosen = settings(args)

    earlier = report.kept(args.out, args.cases) if args.keep else {}
    started = time.perf_counter()

    def write(rows: dict[str, Row]) -> tuple[Path, ...]:
        every = {**earlier, **rows}
        ordered = {key: every[key] for key in CASES if key in every}
        seconds = time.perf_counter() - started
        found = report.document(ordered, chosen, quick=args.quick, seconds=seconds)
        return report.write(found, ordered, args.out)

    measured: dict[str, Row] = {}

    def done(case: str, row: Row) -> None:
        measured[case] = row
        write(measured)

    rows = run(args.cases, chosen, done=done)

    print(report.table({**earlier, **rows}))
    for path in write(rows):
        print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
