from __future__ import annotations

import json
import logging
from collections import Counter
from itertools import pairwise
from pathlib import Path

import httpx
import pytest
from pytest_httpx import HTTPXMock

from klaviyo_toolkit import Clock, IntegrationInactive, PushOptions, Toolkit
from klaviyo_toolkit.simulator import Faults, Simulator

from .conftest import GOOD_KEY, REVOKED_KEY, camel, write_jsonl

LOOPBACK = "http://127.0.0.1:9"


def _rows(
    count: int, *, pages: tuple[str, ...] = ("page-1",), start_day: int = 1
) -> list[object]:
    return [
        camel(
            f"sub-{i:04d}",
            actionPageId=pages[i % len(pages)],
            createdAt=f"2026-03-{start_day + i % 20:02d}T12:{i % 60:02d}:00Z",
        )
        for i in range(count)
    ]


def _ingest(tk: Toolkit, tmp_path: Path, rows: list[object]) -> None:
    tk.ingest(write_jsonl(tmp_path / "rows.jsonl", rows))


def test_a_push_delivers_every_submission_once(
    tk: Toolkit, tmp_path: Path, simulator: Simulator, clock: Clock
) -> None:
    _ingest(tk, tmp_path, _rows(40))
    tk.add_integration("main", api_key=GOOD_KEY, base_url=simulator.base_url)

    report = tk.push("main", options=PushOptions(clock=clock))

    assert (report.delivered, report.failed, report.endpoint) == (40, 0, "single")
    assert sorted(simulator.unique_ids()) == [f"sub-{i:04d}" for i in range(40)]
    status = tk.status().to_dicts()[0]
    counts = (status["delivered"], status["unsent"], status["consecutive_failures"])
    assert counts == (40, 0, 0)


def test_errors_and_dropped_connections_still_deliver_exactly_once(
    tk: Toolkit, tmp_path: Path, simulator: Simulator, clock: Clock
) -> None:
    _ingest(tk, tmp_path, _rows(120))
    tk.add_integration(
        "main", api_key=GOOD_KEY, base_url=simulator.base_url, failure_threshold=50
    )
    simulator.set_faults(Faults(error_rate=0.2, drop_rate=0.1, drop_after_accept=True))

    first = tk.push("main", options=PushOptions(clock=clock, max_attempts=10))
    simulator.set_faults(Faults())
    second = tk.push("main", options=PushOptions(clock=clock))

    assert first.delivered + second.delivered == 120
    received = simulator.unique_ids()
    assert sorted(received) == [f"sub-{i:04d}" for i in range(120)]
    assert len(received) == len(set(received))
    assert tk.status().to_dicts()[0]["unsent"] == 0


def test_a_bad_key_makes_exactly_five_requests_even_when_concurrent(
    tk: Toolkit, tmp_path: Path, simulator: Simulator, clock: Clock
) -> None:
    _ingest(tk, tmp_path, _rows(60))
    tk.add_integration("revoked", api_key=REVOKED_KEY, base_url=simulator.base_url)

    report = tk.push("revoked", options=PushOptions(clock=clock, concurrency=16))

    assert simulator.requests_by_status() == {401: 5}
    assert report.inactive and report.failed == 5 and report.not_sent == 55
    assert "5 failed relay attempts in a row" in (report.inactive_reason or "")
    integration = tk.integration("revoked")
    assert not integration.active and integration.consecutive_failures == 5
    with pytest.raises(IntegrationInactive, match="reactivate it"):
        tk.push("revoked", options=PushOptions(clock=clock))
    assert simulator.requests_by_status() == {401: 5}


def test_turning_inactive_is_logged_once(
    tk: Toolkit,
    tmp_path: Path,
    simulator: Simulator,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _ingest(tk, tmp_path, _rows(60))
    tk.add_integration("revoked", api_key=REVOKED_KEY, base_url=simulator.base_url)

    with caplog.at_level(logging.WARNING, logger="klaviyo_toolkit"):
        tk.push("revoked", options=PushOptions(clock=clock, concurrency=16))

    assert caplog.text.count("integration revoked is now inactive") == 1


def test_reactivation_with_a_new_key_resumes_the_unsent(
    tk: Toolkit, tmp_path: Path, simulator: Simulator, clock: Clock
) -> None:
    _ingest(tk, tmp_path, _rows(30))
    tk.add_integration("main", api_key=REVOKED_KEY, base_url=simulator.base_url)
    tk.push("main", options=PushOptions(clock=clock))

    tk.update_integration("main", api_key=GOOD_KEY)
    tk.reactivate("main")
    report = tk.push("main", options=PushOptions(clock=clock))

    assert report.delivered == 30
    assert len(simulator.unique_ids()) == 30
    assert tk.integration("main").active


def test_a_streak_carries_over_between_pushes(
    tk: Toolkit, tmp_path: Path, simulator: Simulator, clock: Clock
) -> None:
    _ingest(tk, tmp_path, _rows(3))
    tk.add_integration("main", api_key=REVOKED_KEY, base_url=simulator.base_url)
    tk.push("main", options=PushOptions(clock=clock))
    assert tk.integration("main").consecutive_failures == 3

    report = tk.push("main", options=PushOptions(clock=clock))

    assert report.inactive and simulator.requests_by_status() == {401: 5}


def test_a_success_resets_the_streak(
    tk: Toolkit, tmp_path: Path, simulator: Simulator, clock: Clock
) -> None:
    _ingest(tk, tmp_path, _rows(10))
    tk.add_integration("main", api_key=GOOD_KEY, base_url=simulator.base_url)
    simulator.fail_next(4, status=500)

    report = tk.push("main", options=PushOptions(clock=clock))

    assert report.delivered == 10 and not report.inactive
    assert tk.integration("main").consecutive_failures == 0
    assert Counter(tk.attempts("main")["outcome"].to_list()) == {
        "delivered": 10,
        "failed": 4,
    }


def test_429_is_waited_out_and_not_counted_as_a_failure(
    tk: Toolkit, tmp_path: Path, httpx_mock: HTTPXMock
) -> None:
    clock = Clock(1_000)
    seen: list[float] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(clock.now())
        if len(seen) <= 6:
            return httpx.Response(
                429,
                headers={"Retry-After": "3"},
                json={
                    "errors": [
                        {
                            "id": "x",
                            "code": "throttled",
                            "title": "Throttled",
                            "detail": "slow",
                        }
                    ]
                },
            )
        return httpx.Response(202)

    httpx_mock.add_callback(answer, is_reusable=True)
    _ingest(tk, tmp_path, _rows(2))
    tk.add_integration("main", api_key=GOOD_KEY, base_url=LOOPBACK)

    report = tk.push("main", options=PushOptions(clock=clock))

    assert (report.delivered, report.failed, report.throttled) == (2, 0, 6)
    assert not report.inactive and tk.integration("main").consecutive_failures == 0
    assert all(later - earlier >= 3 for earlier, later in pairwise(seen[:6]))


def test_scope_exclusions_and_team_are_respected(
    tk: Toolkit, tmp_path: Path, simulator: Simulator, clock: Clock
) -> None:
    _ingest(tk, tmp_path, _rows(30, pages=("p1", "p2", "p3")))
    tk.set_page_team("p1", "Field")
    tk.set_page_team("p2", "Field")
    tk.set_page_team("p3", "Digital")
    tk.add_integration(
        "field",
        api_key=GOOD_KEY,
        base_url=simulator.base_url,
        team="Field",
        excluded_pages="p2",
    )
    tk.add_integration(
        "chosen", api_key=GOOD_KEY, base_url=simulator.base_url, pages="p3"
    )

    field = tk.push("field", options=PushOptions(clock=clock))
    chosen = tk.push("chosen", options=PushOptions(clock=clock))

    by_page = {
        r["submission_id"]: r["action_page_id"] for r in tk.submissions().to_dicts()
    }
    pages_sent = Counter(by_page[s] for s in simulator.unique_ids())
    assert (field.delivered, chosen.delivered) == (10, 10)
    assert pages_sent == {"p1": 10, "p3": 10}


def test_unsent_sends_only_what_was_not_delivered_and_all_sends_again(
    tk: Toolkit, tmp_path: Path, simulator: Simulator, clock: Clock
) -> None:
    _ingest(tk, tmp_path, _rows(20))
    tk.add_integration("main", api_key=GOOD_KEY, base_url=simulator.base_url)
    tk.push("main", options=PushOptions(clock=clock), until="2026-03-05")

    unsent = tk.push("main", options=PushOptions(clock=clock))
    everything = tk.push("main", mode="all", options=PushOptions(clock=clock))

    assert unsent.selected == 15 and everything.selected == 20
    assert simulator.stats().duplicate_events == 20


def test_the_date_range_limits_what_is_sent(
    tk: Toolkit, tmp_path: Path, simulator: Simulator, clock: Clock
) -> None:
    _ingest(tk, tmp_path, _rows(20))
    tk.add_integration("main", api_key=GOOD_KEY, base_url=simulator.base_url)

    report = tk.push(
        "main", since="2026-03-03", until="2026-03-04", options=PushOptions(clock=clock)
    )

    created = {
        r["submission_id"]: r["created_at"].day for r in tk.submissions().to_dicts()
    }
    assert report.delivered == 2
    assert sorted(created[s] for s in simulator.unique_ids()) == [3, 4]


def test_a_dry_run_sends_and_records_nothing(
    tk: Toolkit, tmp_path: Path, simulator: Simulator, clock: Clock
) -> None:
    _ingest(tk, tmp_path, [*_rows(10), camel("nobody", email=None)])
    tk.add_integration("main", api_key=GOOD_KEY, base_url=simulator.base_url)

    report = tk.push("main", dry_run=True, options=PushOptions(clock=clock))

    assert (report.selected, report.sendable, report.rejected) == (11, 10, 1)
    assert simulator.stats().requests == 0
    assert tk.attempts().is_empty()


def test_rejected_submissions_are_recorded_but_never_sent_or_counted(
    tk: Toolkit, tmp_path: Path, simulator: Simulator, clock: Clock
) -> None:
    _ingest(tk, tmp_path, [*_rows(3), camel("nobody", email=None, phone="12")])
    tk.add_integration("main", api_key=GOOD_KEY, base_url=simulator.base_url)

    report = tk.push("main", options=PushOptions(clock=clock))

    assert (report.delivered, report.rejected) == (3, 1)
    assert "nobody" not in simulator.unique_ids()
    status = tk.status().to_dicts()[0]
    assert (status["rejected"], status["consecutive_failures"]) == (1, 0)


def test_bulk_batches_respect_klaviyos_limits(
    tk: Toolkit, tmp_path: Path, simulator: Simulator, clock: Clock
) -> None:
    _ingest(tk, tmp_path, _rows(2_300))
    tk.add_integration("main", api_key=GOOD_KEY, base_url=simulator.base_url)

    report = tk.push("main", options=PushOptions(clock=clock))

    assert report.endpoint == "bulk" and report.delivered == 2_300
    assert report.requests == 3 and simulator.requests_by_status() == {202: 3}
    assert len(set(simulator.unique_ids())) == 2_300


def test_a_refused_bulk_batch_is_split_to_isolate_the_bad_row(
    tk: Toolkit, tmp_path: Path, httpx_mock: HTTPXMock, clock: Clock
) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        document = json.loads(request.content)
        items = document["data"]["attributes"]["events-bulk-create"]["data"]
        ids = [
            i["attributes"]["events"]["data"][0]["attributes"]["unique_id"]
            for i in items
        ]
        if "sub-0013" in ids:
            return httpx.Response(
                400,
                json={
                    "errors": [
                        {
                            "id": "1",
                            "code": "invalid",
                            "title": "Invalid input.",
                            "detail": "bad",
                            "source": {"pointer": "/data/0"},
                        }
                    ]
                },
            )
        return httpx.Response(202)

    httpx_mock.add_callback(answer, is_reusable=True)
    _ingest(tk, tmp_path, _rows(40))
    tk.add_integration("main", api_key=GOOD_KEY, base_url=LOOPBACK)

    report = tk.push("main", bulk=True, options=PushOptions(clock=clock))

    assert (report.delivered, report.failed) == (39, 1)
    assert report.failures[0]["submission_id"] == "sub-0013"
    assert not report.inactive


def test_the_key_appears_in_no_log_attempt_or_error(
    tk: Toolkit,
    tmp_path: Path,
    simulator: Simulator,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("KLAVIYO_TEST_KEY", REVOKED_KEY)
    _ingest(tk, tmp_path, _rows(8))
    tk.add_integration(
        "main", api_key_env="KLAVIYO_TEST_KEY", base_url=simulator.base_url
    )

    report = tk.push("main", options=PushOptions(clock=clock))
    with pytest.raises(IntegrationInactive) as refused:
        tk.push("main", options=PushOptions(clock=clock))

    texts = [
        caplog.text,
        json.dumps(report.as_dict()),
        str(refused.value),
        tk.attempts().write_json(),
        tk.status().write_json(),
        repr(tk.integration("main")),
    ]
    assert report.inactive
    assert all(REVOKED_KEY not in text for text in texts)
    assert REVOKED_KEY.encode() not in Path(tk.path).read_bytes()
