from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from klaviyo_toolkit import Clock, PushOptions, Toolkit
from klaviyo_toolkit.anedot_sender import deliver, headers_for, read_bodies
from klaviyo_toolkit.simulator import Simulator
from klaviyo_toolkit.webhook import WebhookReceiver, WebhookServer

from .conftest import GOOD_KEY, SAMPLE

SECRET = b"anedot-webhook-secret"


@pytest.fixture
def server(tk: Toolkit) -> Iterator[WebhookServer]:
    with WebhookServer(WebhookReceiver(tk, secret=SECRET)) as running:
        yield running


def _donation(
    submission_id: str, event: str = "donation_completed"
) -> dict[str, object]:
    return {
        "event": event,
        "payload": {
            "submission_id": submission_id,
            "created_at": "2026-03-01 12:00:00 UTC",
            "event_amount": "25.00",
            "email": f"{submission_id}@example.org",
            "action_page_id": "page-1",
        },
    }


def _post(
    url: str,
    document: dict[str, object],
    *,
    secret: bytes = SECRET,
    request_id: str | None = None,
) -> httpx.Response:
    body = json.dumps(document).encode()
    headers = headers_for(body, secret, request_id=request_id)
    return httpx.post(url, content=body, headers=headers)


def test_a_signed_delivery_is_stored(tk: Toolkit, server: WebhookServer) -> None:
    answer = _post(server.url, _donation("w1"))
    server.wait_until_stored()

    assert answer.status_code == 200 and answer.json()["status"] == "stored"
    assert tk.submissions()["submission_id"].to_list() == ["w1"]


def test_a_signed_delivery_is_relayed_to_klaviyo_as_its_event(tk: Toolkit) -> None:
    clock = Clock(1_000)
    with Simulator(clock=clock) as simulator:
        tk.add_integration("live", api_key=GOOD_KEY, base_url=simulator.base_url)
        receiver = WebhookReceiver(
            tk, secret=SECRET, relay=True, push_options=PushOptions(clock=clock)
        )
        with WebhookServer(receiver) as server:
            answer = _post(server.url, _donation("w-live"))
            _wait_for(lambda: len(simulator.unique_ids()) >= 1)
        (event,) = simulator.events()

    assert answer.status_code == 200
    assert event["unique_id"] == "w-live"
    assert event["value"] == 2500.0
    profile = event["profile"]["data"]["attributes"]
    assert profile["email"] == "w-live@example.org"


@pytest.mark.parametrize("signature", [None, "", "00" * 32, "not hex"])
def test_a_missing_or_wrong_signature_is_refused_and_stores_nothing(
    tk: Toolkit, server: WebhookServer, signature: str | None
) -> None:
    body = json.dumps(_donation("w2")).encode()
    headers = {"X-Request-Id": "r-1"}
    if signature is not None:
        headers["X-Request-Signature"] = signature

    answer = httpx.post(server.url, content=body, headers=headers)

    assert answer.status_code == 401
    assert tk.submissions().is_empty()


def test_a_delivery_signed_with_another_secret_is_refused(
    tk: Toolkit, server: WebhookServer
) -> None:
    assert _post(server.url, _donation("w3"), secret=b"other").status_code == 401
    assert tk.submissions().is_empty()


def test_a_replayed_request_id_is_not_stored_twice(
    tk: Toolkit, server: WebhookServer
) -> None:
    first = _post(server.url, _donation("w4"), request_id="same")
    again = _post(server.url, _donation("w4"), request_id="same")
    server.wait_until_stored()

    assert (first.json()["status"], again.json()["status"]) == ("stored", "replayed")
    with tk.store.connect() as con:
        assert con.execute("SELECT count(*) FROM webhook_deliveries").fetchall() == [
            (1,)
        ]


def test_events_that_are_not_relayed_are_kept_and_answered_2xx(
    tk: Toolkit, server: WebhookServer
) -> None:
    answer = _post(server.url, _donation("w5", event="donation_refunded"))
    server.wait_until_stored()

    assert answer.status_code == 200 and answer.json()["status"] == "kept"
    assert tk.submissions().is_empty()
    with tk.store.connect() as con:
        rows = con.execute(
            "SELECT event, submission_id FROM webhook_deliveries"
        ).fetchall()
    assert rows == [("donation_refunded", "w5")]


def test_oversized_and_malformed_bodies_are_refused_while_it_keeps_serving(
    tk: Toolkit, server: WebhookServer
) -> None:
    huge = b'{"event": "x", "pad": "' + b"a" * 1_100_000 + b'"}'
    broken = b'{"event": '
    listed = b"[1, 2]"

    statuses = [
        httpx.post(
            server.url, content=body, headers=headers_for(body, SECRET)
        ).status_code
        for body in (huge, broken, listed)
    ]
    later = _post(server.url, _donation("w6"))
    server.wait_until_stored()

    assert statuses == [413, 400, 400]
    assert later.status_code == 200
    assert tk.submissions()["submission_id"].to_list() == ["w6"]


def test_other_paths_and_methods_are_refused(server: WebhookServer) -> None:
    assert httpx.get(server.url).status_code == 405
    assert (
        httpx.post(server.url.replace("/anedot", "/nope"), content=b"{}").status_code
        == 404
    )


def test_a_burst_of_1000_webhooks_is_stored_and_relayed_exactly_once(
    tk: Toolkit, tmp_path: Path
) -> None:
    clock = Clock(1_000)
    bodies = list(read_bodies(SAMPLE / "webhooks.jsonl"))[:1_000]
    with Simulator(clock=clock) as simulator:
        tk.add_integration("live", api_key=GOOD_KEY, base_url=simulator.base_url)
        receiver = WebhookReceiver(
            tk, secret=SECRET, relay=True, push_options=PushOptions(clock=clock)
        )
        with WebhookServer(receiver) as server:
            answers = asyncio.run(_burst(server.url, bodies))
            _wait_for(lambda: len(simulator.unique_ids()) >= _sendable(tk))
        received = simulator.unique_ids()
        stats = simulator.stats()

    assert [a for a in answers if a != 200] == []
    assert tk.submissions().height == 1_000
    assert len(received) == len(set(received)) == _sendable(tk)
    # The simulator keeps one event per unique_id; a second send would be counted here.
    assert stats.duplicate_events == 0
    assert tk.status().to_dicts()[0]["unsent"] == tk.status().to_dicts()[0]["rejected"]


async def _burst(url: str, bodies: list[bytes]) -> list[int]:
    limits = httpx.Limits(max_connections=20)
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:
        answers = await asyncio.gather(
            *(deliver(client, url, body, SECRET) for body in bodies)
        )
    return [a.status_code for a in answers]


def _sendable(tk: Toolkit) -> int:
    preview = tk.preview("live", limit=10_000)
    return int((preview["status"] == "ok").sum())


def _wait_for(condition: object) -> None:
    import time

    assert callable(condition)
    deadline = time.monotonic() + 60
    while not condition():
        assert time.monotonic() < deadline, "the relay never caught up"
        time.sleep(0.02)
