"""Shared fixtures: temp-dir stores, a fast clock, the simulator, keys."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from klaviyo_toolkit import Clock, Toolkit
from klaviyo_toolkit.simulator import Simulator

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "data" / "sample"
GOOD_KEY = "pk_test00000000000000000000000000good"
REVOKED_KEY = "pk_test000000000000000000000000revoked"
FAST = 1_000.0
"""Clock speed for relay tests: backoff pauses of seconds pass in milliseconds."""


@pytest.fixture
def tk(tmp_path: Path) -> Toolkit:
    return Toolkit(tmp_path / "relay.duckdb")


@pytest.fixture
def clock() -> Clock:
    return Clock(FAST)


@pytest.fixture
def simulator(clock: Clock) -> Iterator[Simulator]:
    with Simulator(clock=clock, revoked_keys=[REVOKED_KEY], seed=1) as sim:
        yield sim


def write_jsonl(path: Path, rows: Iterable[object]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def camel(submission_id: str, **fields: object) -> dict[str, object]:
    """A camelCase submission with the fields a test does not care about filled in."""
    row: dict[str, object] = {
        "id": submission_id,
        "createdAt": "2026-03-01T12:00:00.000Z",
        "amount": "25.00",
        "email": f"{submission_id}@example.org",
        "firstName": "Test",
        "lastName": "Donor",
        "actionPageId": "page-1",
        "actionPageName": "Spring appeal",
        "accountName": "The Charitable Foundation",
    }
    row.update(fields)
    return row


@contextmanager
def held_elsewhere(path: Path) -> Iterator[None]:
    """Another process holds the DuckDB file open for the block, as a notebook might."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import duckdb, sys
                con = duckdb.connect({str(path)!r})
                print("holding", flush=True)
                sys.stdin.read()
                """
            ),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "holding"
        yield
    finally:
        holder.communicate("")
