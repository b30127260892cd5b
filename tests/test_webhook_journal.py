"""The journal in front of the store: an answered delivery is never lost or doubled."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import stat
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from klaviyo_toolkit import Toolkit, webhook
from klaviyo_toolkit.anedot_sender import headers_for
from klaviyo_toolkit.journal import Journal
from klaviyo_toolkit.webhook import WebhookReceiver, WebhookServer, default_journal

from .conftest import held_elsewhere
from .test_webhook import SECRET, _donation, _post


def _record(submission_id: str, request_id: str) -> dict[str, object]:
    return {
        "request_id": request_id,
        "integration_id": None,
        "event": "donation_completed",
        "submission_id": submission_id,
        "received_at": "2026-03-01T12:00:00+00:00",
        "body": json.dumps(_donation(submission_id)),
    }


def _stored_ids(tk: Toolkit) -> list[str]:
    return sorted(tk.submissions()["submission_id"].to_list())


def _delivery_count(tk: Toolkit) -> int:
    with tk.store.connect() as con:
        return int(
            con.execute("SELECT count(*) FROM webhook_deliveries").fetchall()[0][0]
        )


def test_segments_read_back_in_order_and_a_torn_line_is_skipped(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal")
    journal.append([_record("a", "r-a"), _record("b", "r-b")])
    journal.seal()
    journal.append([_record("c", "r-c")])
    segments = journal.seal()
    with segments[-1].open("ab") as torn:
        torn.write(b'{"request_id": "r-d", "bo')

    read = journal.read(segments)

    assert [r["submission_id"] for r in read.records] == ["a", "b", "c"]
    assert read.torn == 1
    journal.discard(segments)
    assert journal.is_empty()


def test_journal_files_are_readable_by_their_owner_alone(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal")
    journal.append([_record("a", "r-a")])
    (segment,) = journal.seal()

    assert stat.S_IMODE(os.stat(journal.folder).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(segment).st_mode) == 0o600


def test_what_a_previous_run_left_in_the_journal_is_stored_once_at_start(
    tk: Toolkit,
) -> None:
    with WebhookServer(WebhookReceiver(tk, secret=SECRET)) as server:
        _post(server.url, _donation("moved"), request_id="r-moved")
    # A crash after the move's commit and before its segment was discarded leaves
    # the moved delivery in the journal beside one that never reached the store.
    Journal(default_journal(tk.store.path)).append(
        [_record("moved", "r-moved"), _record("left", "r-left")]
    )

    with WebhookServer(WebhookReceiver(tk, secret=SECRET)):
        assert _stored_ids(tk) == ["left", "moved"]

    assert _delivery_count(tk) == 2
    assert Journal(default_journal(tk.store.path)).is_empty()


def test_a_replay_after_a_restart_is_answered_as_one(tk: Toolkit) -> None:
    with WebhookServer(WebhookReceiver(tk, secret=SECRET)) as server:
        first = _post(server.url, _donation("w1"), request_id="same")
    with WebhookServer(WebhookReceiver(tk, secret=SECRET)) as server:
        again = _post(server.url, _donation("w1"), request_id="same")

    assert (first.json()["status"], again.json()["status"]) == ("stored", "replayed")
    assert _delivery_count(tk) == 1


def test_deliveries_are_answered_while_another_process_holds_the_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(webhook, "DRAIN_RETRY_SECONDS", 0.05)
    tk = Toolkit(tmp_path / "held.duckdb", busy_timeout=0.1)

    with WebhookServer(WebhookReceiver(tk, secret=SECRET)) as server:
        with held_elsewhere(tk.store.path):
            answers = [_post(server.url, _donation(f"h{i}")) for i in range(3)]
        server.wait_until_stored()

        assert [a.json()["status"] for a in answers] == ["stored"] * 3
        assert _stored_ids(tk) == ["h0", "h1", "h2"]


def test_answered_deliveries_survive_a_killed_receiver(tmp_path: Path) -> None:
    """SIGKILL the receiver while the store is held, so nothing reached it: every
    delivery it answered is in the store after the next start, exactly once."""
    tk = Toolkit(tmp_path / "killed.duckdb")
    tk.integrations()
    receiver = _serve_in_process(tk.store.path)
    try:
        with held_elsewhere(tk.store.path):
            answers = [
                _send(receiver.url, _donation(f"k{i}"), f"r-{i}") for i in range(5)
            ]
            receiver.process.send_signal(signal.SIGKILL)
            receiver.process.wait(timeout=20)
    finally:
        receiver.process.kill()

    assert answers == [200] * 5
    assert not Journal(default_journal(tk.store.path)).is_empty()
    with WebhookServer(WebhookReceiver(tk, secret=SECRET)) as server:
        again = _send(server.url, _donation("k0"), "r-0")

    assert again == 200
    assert _stored_ids(tk) == [f"k{i}" for i in range(5)]
    assert _delivery_count(tk) == 5


class _Served:
    def __init__(self, process: subprocess.Popen[bytes], url: str) -> None:
        self.process = process
        self.url = url


def _serve_in_process(db: Path) -> _Served:
    """`klaviyo-toolkit serve` in its own process, once it answers."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    command = [
        sys.executable, "-m", "klaviyo_toolkit.cli", "--db", str(db),
        "serve", "--port", str(port),
    ]  # fmt: skip
    process = subprocess.Popen(
        command,
        env={**os.environ, "ANEDOT_WEBHOOK_SECRET": SECRET.decode()},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/anedot"
    for _ in range(400):
        try:
            httpx.get(url, timeout=0.5)
            return _Served(process, url)
        except httpx.TransportError:
            assert process.poll() is None, "the receiver exited before it listened"
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=0.05)
    process.kill()
    raise RuntimeError("the receiver never listened")


def _send(url: str, document: dict[str, object], request_id: str) -> int:
    body = json.dumps(document).encode()
    headers = headers_for(body, SECRET, request_id=request_id)
    return httpx.post(url, content=body, headers=headers).status_code
