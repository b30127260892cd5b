"""What every benchmark shares: machine facts, medians, a simulator process."""

from __future__ import annotations

import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

import httpx

RESULTS = Path(__file__).resolve().parent / "results"


# The distributions a figure depends on; one not installed is noted, not fatal.
VERSIONED = ("klaviyo-toolkit", "klaviyo-api", "duckdb", "polars", "httpx", "textual")


def machine() -> dict[str, Any]:
    """The facts a figure needs beside it to mean anything."""
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gb": _memory_gb(),
        **{name: _version(name) for name in VERSIONED},
    }


def _version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def _cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    return platform.processor() or "unknown"


def _memory_gb() -> float | None:
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError):
        return None
    return round(pages / 2**30, 1)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def simulator_process(*, speed: float, extra: tuple[str, ...] = ()) -> Iterator[str]:
    """`klaviyo-toolkit simulate` in its own process (its own core) for the block."""
    port = free_port()
    command = [
        sys.executable, "-m", "klaviyo_toolkit.cli", "simulate",
        "--port", str(port), "--speed", str(speed), *extra,
    ]  # fmt: skip
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_listening(f"{base_url}/_sim/stats", process, what="simulator")
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=10)


def simulator_stats(base_url: str) -> dict[str, Any]:
    return dict(httpx.get(f"{base_url}/_sim/stats", timeout=10).json())


def wait_until_listening(
    url: str, process: subprocess.Popen[bytes], *, what: str, seconds: float = 60
) -> None:
    """Poll `url` until the server in `process` answers; raise if it exits or stalls."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the {what} exited at start")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    raise RuntimeError(f"the {what} did not start within {seconds:g} s")


def write_results(name: str, document: dict[str, Any]) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps({"machine": machine(), **document}, indent=2) + "\n")
    return path
