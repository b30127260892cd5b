"""The performance suite's entry point, run once at its quick sizes into a temp dir."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from benchmarks.runner import CASES

ROOT = Path(__file__).resolve().parent.parent
NUMBER = re.compile(r"\d")


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    out = tmp_path_factory.mktemp("benchmarks")
    finished = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert finished.returncode == 0, finished.stderr
    return finished.stdout, out


@pytest.fixture(scope="module")
def results(quick_run: tuple[str, Path]) -> dict[str, Any]:
    _, out = quick_run
    document: dict[str, Any] = json.loads((out / "results.json").read_text())
    return document


def test_the_printed_table_has_a_row_with_figures_for_every_case(
    quick_run: tuple[str, Path], results: dict[str, Any]
) -> None:
    stdout, _ = quick_run
    lines = [line for line in stdout.splitlines() if line.startswith("| ")]

    assert lines[0] == "| case | ours | anchor | ratio | target | met |"
    for key in CASES:
        row = results["cases"][key]
        printed = [line for line in lines if line.startswith(f"| {row['case']} |")]
        assert len(printed) == 1, key
        assert NUMBER.search(row["ours"]), key


def test_results_json_holds_every_case_with_its_runs(results: dict[str, Any]) -> None:
    assert list(results["cases"]) == list(CASES)
    for key, row in results["cases"].items():
        assert isinstance(row["met"], bool), key
        assert row["details"], key


def test_results_json_names_the_machine_and_the_settings(
    results: dict[str, Any],
) -> None:
    assert results["quick"] is True
    assert results["machine"]["cores"] >= 1
    assert results["machine"]["duckdb"]
    assert results["settings"]["runs"] == 1


def test_relay_figures_count_lost_events_and_throttled_requests(
    results: dict[str, Any],
) -> None:
    single = results["cases"]["relay-single"]["details"]["ours"]
    bulk = results["cases"]["relay-bulk"]["details"]

    assert single["lost"] == 0
    assert bulk["lost"] == 0
    assert bulk["real_clock"]["floor_minutes"] > 0
    assert results["cases"]["memory"]["details"]["peak_rss_mb"][0] > 0


def test_results_md_carries_the_same_table(
    quick_run: tuple[str, Path], results: dict[str, Any]
) -> None:
    _, out = quick_run
    text = (out / "results.md").read_text()

    for row in results["cases"].values():
        assert f"| {row['case']} | {row['ours']} |" in text
    assert "## Machine" in text
    assert "## Every run" in text


def test_a_rerun_of_one_case_with_keep_leaves_the_others_as_measured(
    results: dict[str, Any], tmp_path: Path
) -> None:
    earlier = json.loads(json.dumps(results))
    earlier["cases"]["mapping"]["ours"] = "stale"
    (tmp_path / "results.json").write_text(json.dumps(earlier))

    only_mapping = ["--quick", "--only", "mapping", "--keep", "--out", str(tmp_path)]
    finished = subprocess.run(
        [sys.executable, "-m", "benchmarks", *only_mapping],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert finished.returncode == 0, finished.stderr
    rerun = json.loads((tmp_path / "results.json").read_text())["cases"]
    assert list(rerun) == list(CASES)
    assert rerun["tui"] == results["cases"]["tui"]
    assert rerun["mapping"]["ours"] != "stale"
    assert "stale" not in (tmp_path / "results.md").read_text()
