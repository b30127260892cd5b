"""Faults a real Klaviyo produces, and names built to break SQL: nothing vanishes."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from klaviyo_toolkit import Clock, PushOptions, Toolkit
from klaviyo_toolkit.klaviyo import REVISION
from klaviyo_toolkit.simulator import Faults, Simulator

from .conftest import GOOD_KEY, camel, write_jsonl

HOSTILE = "x'; DROP TABLE submissions; --"


def _ingest(tk: Toolkit, tmp_path: Path, count: int, **fields: object) -> None:
    rows = [camel(f"r{i:03d}", **fields) for i in range(count)]
    tk.ingest(write_jsonl(tmp_path / "rows.jsonl", rows))


def _accounted(tk: Toolkit, name: str, count: int) -> None:
    """Every submission is delivered or still unsent, and each failure has a reason."""
    (status,) = [row for row in tk.status().to_dicts() if row["name"] == name]
    failed = tk.attempts(name, outcome="failed", limit=10_000)
    assert status["in_scope"] == count
    assert status["unsent"] == count - status["delivered"]
    assert failed.height == status["failed"] > 0
    assert failed["error_title"].null_count() == 0


def test_a_retired_revision_fails_like_any_error_and_stops_at_five(
    tk: Toolkit, tmp_path: Path, clock: Clock
) -> None:
    _ingest(tk, tmp_path, 12)
    with Simulator(clock=clock, retired_revisions=[REVISION]) as simulator:
        tk.add_integration("main", api_key=GOOD_KEY, base_url=simulator.base_url)
        report = tk.push("main", options=PushOptions(clock=clock))

        assert simulator.requests_by_status() == {410: 5}
    assert report.inactive and report.failed == 5
    _accounted(tk, "main", 12)


def test_a_key_without_the_events_scope_is_refused_and_stops_at_five(
    tk: Toolkit, tmp_path: Path, clock: Clock
) -> None:
    _ingest(tk, tmp_path, 8)
    with Simulator(clock=clock, keys_without_scope=[GOOD_KEY]) as simulator:
        tk.add_integration("main", api_key=GOOD_KEY, base_url=simulator.base_url)
        report = tk.push("main", options=PushOptions(clock=clock))

        assert simulator.requests_by_status() == {403: 5}
    assert report.inactive
    assert "403" in (tk.integration("main").last_error or "")


def test_answers_slower_than_the_timeout_are_retried_and_delivered_once(
    tk: Toolkit, tmp_path: Path, clock: Clock
) -> None:
    _ingest(tk, tmp_path, 6)
    faults = Faults(latency=400.0, drop_after_accept=False)
    quick = httpx.Timeout(0.2, connect=2.0)
    with Simulator(clock=clock, faults=faults) as simulator:
        tk.add_integration(
            "main", api_key=GOOD_KEY, base_url=simulator.base_url, failure_threshold=50
        )
        slow = tk.push("main", options=PushOptions(clock=clock, timeout=quick))
        simulator.set_faults(Faults())
        rerun = tk.push("main", options=PushOptions(clock=clock))
        received = simulator.unique_ids()

    assert slow.failed + slow.delivered == 6
    assert "timed out" in (tk.integration("main").last_error or "")
    assert slow.delivered + rerun.delivered == 6
    assert sorted(received) == [f"r{i:03d}" for i in range(6)]


def test_html_error_pages_are_recorded_with_their_title(
    tk: Toolkit, tmp_path: Path, clock: Clock
) -> None:
    _ingest(tk, tmp_path, 3)
    with Simulator(clock=clock, faults=Faults(error_rate=1.0, html_errors=True)) as sim:
        tk.add_integration("main", api_key=GOOD_KEY, base_url=sim.base_url)
        tk.push("main", options=PushOptions(clock=clock, max_attempts=1))

    failed = tk.attempts("main", outcome="failed")
    assert failed.height == 3
    assert set(failed["error_code"].to_list()) == {"html_error"}


@pytest.mark.parametrize("name", [HOSTILE, 'team "A"; --', "O'Brien & Co"])
def test_hostile_names_are_stored_and_matched_literally(
    tk: Toolkit, tmp_path: Path, clock: Clock, name: str
) -> None:
    # Page ids cannot hold spaces; everything else in the name stays as it is.
    page = name.replace(" ", "")
    _ingest(tk, tmp_path, 4, actionPageId=page)
    tk.set_page_team(page, name)
    with Simulator(clock=clock) as simulator:
        tk.add_integration(
            name, api_key=GOOD_KEY, base_url=simulator.base_url, team=name, pages=[page]
        )
        tk.add_integration(
            "other",
            api_key=GOOD_KEY,
            base_url=simulator.base_url,
            excluded_pages=[page],
        )
        scoped = tk.push(name, options=PushOptions(clock=clock))
        excluded = tk.push("other", options=PushOptions(clock=clock))

    assert (scoped.delivered, excluded.selected) == (4, 0)
    assert tk.integration(name).settings.team == name
    assert tk.submissions().height == 4
