"""A push of many submissions while another process polls the store: no error reaches
either side (DuckDB lets one process hold the file, so both take turns)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from klaviyo_toolkit import Clock, PushOptions, Toolkit, sample
from klaviyo_toolkit.simulator import Simulator

from .conftest import GOOD_KEY

POLLER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from klaviyo_toolkit import Toolkit
    tk, stop = Toolkit(sys.argv[1]), Path(sys.argv[2])
    polls = errors = 0
    while not stop.exists():
        try:
            tk.status()
            polls += 1
        except Exception as error:
            errors += 1
            print("error:", error, flush=True)
        time.sleep(0.2)
    print("polls", polls, "errors", errors, flush=True)
    """
)


@pytest.mark.parametrize(
    "count", [5_000, pytest.param(100_000, marks=pytest.mark.slow)]
)
def test_a_push_under_a_polling_process_reaches_no_error(
    tmp_path: Path, count: int
) -> None:
    clock = Clock(1_000)
    path = tmp_path / "load.jsonl"
    sample.write_camel_jsonl(sample.generate(count, seed=9), path)
    tk = Toolkit(tmp_path / "load.duckdb")
    tk.ingest(path)
    stop = tmp_path / "stop"

    with Simulator(clock=clock) as simulator:
        tk.add_integration("main", api_key=GOOD_KEY, base_url=simulator.base_url)
        poller = subprocess.Popen(
            [sys.executable, "-c", POLLER, str(tk.path), str(stop)],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            report = tk.push("main", options=PushOptions(clock=clock))
        finally:
            stop.touch()
            output, _ = poller.communicate(timeout=60)
        received = len(simulator.unique_ids())

    assert report.delivered == report.sendable == received
    assert "error" not in output.replace("errors 0", "")
    assert int(output.split()[1]) > 0
