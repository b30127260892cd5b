"""A push in a process of its own, as a cron job runs it, with its peak memory.

`push_in_child` starts `python -m benchmarks.child`, which opens the store, pushes one
integration on a sped-up clock, and prints its `PushReport` and its own peak resident
memory as JSON.

The peak is the kernel's high-water mark of the child's address space (`VmHWM`), read
by the child as it finishes. Neither `os.wait4` nor `RUSAGE_CHILDREN` would do: the
maximum they report survives `exec`, so it starts at the size of the parent that
forked the child, which here holds a generated data set of its own.

    python -m benchmarks.child DB INTEGRATION --speed S [--bulk]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from klaviyo_toolkit import Clock, PushOptions, Toolkit

ROOT = Path(__file__).resolve().parent.parent
STATUS = Path("/proc/self/status")


@dataclass(frozen=True)
class ChildPush:
    """What one push in a child process did, and what it cost in memory."""

    report: dict[str, Any]
    """The child's `PushReport.as_dict()`."""
    peak_rss_bytes: int
    """The child's high-water resident set size."""

    @property
    def peak_rss_mb(self) -> float:
        return round(self.peak_rss_bytes / 2**20, 1)


def push_in_child(db: Path, name: str, *, speed: float, bulk: bool) -> ChildPush:
    """Push every in-scope submission of `name` from a child process."""
    command = [
        sys.executable, "-m", "benchmarks.child", str(db), name,
        "--speed", str(speed), *(["--bulk"] if bulk else []),
    ]  # fmt: skip
    finished = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)

    if finished.returncode != 0:
        raise RuntimeError(
            f"the pushing child exited with {finished.returncode}: {finished.stderr}"
        )
    found = json.loads(finished.stdout)
    return ChildPush(report=found["report"], peak_rss_bytes=found["peak_rss_bytes"])


def peak_rss_bytes() -> int:
    """This process's peak resident memory since it started."""
    if STATUS.exists():
        for line in STATUS.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    # Elsewhere the rusage figure, which may include the parent's size at the fork.
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db", type=Path)
    parser.add_argument("integration")
    parser.add_argument("--speed", type=float, default=1.0)
    parser.add_argument("--bulk", action="store_true")
    args = parser.parse_args()

    options = PushOptions(clock=Clock(args.speed))
    report = Toolkit(args.db).push(
        args.integration, mode="all", bulk=args.bulk, options=options
    )

    found = {"report": report.as_dict(), "peak_rss_bytes": peak_rss_bytes()}
    print(json.dumps(found))


if __name__ == "__main__":
    main()
