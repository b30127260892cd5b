from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from klaviyo_toolkit import Toolkit
from klaviyo_toolkit.cli import main
from klaviyo_toolkit.simulator import Simulator

from .conftest import GOOD_KEY, REVOKED_KEY, camel, write_jsonl


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _rows(count: int) -> list[object]:
    return [
        camel(f"c{i:04d}", createdAt=f"2026-03-01T00:{i % 60:02d}:00Z")
        for i in range(count)
    ]


def test_ingest_reports_as_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "cli.duckdb")
    path = write_jsonl(tmp_path / "in.jsonl", [*_rows(3)])
    with path.open("a") as handle:
        handle.write("{not json\n")

    code, out, _ = _run(capsys, "--db", db, "ingest", str(path), "--json")

    report = json.loads(out)
    assert code == 0
    assert (report["stored"], report["quarantined"]) == (3, 1)
    assert report["reasons"] == {"invalid_json": 1}


def test_a_users_mistake_is_one_sentence_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "cli.duckdb")

    cases = [
        ("ingest", str(tmp_path / "missing.jsonl")),
        ("integration", "add", "x", "--api-key", "AbC123"),
        ("integration", "add", "x", "--api-key-env", "K", "--exclude", "1,,2"),
        ("integration", "show", "nobody"),
        ("push", "--integration", "nobody"),
        ("push", "--since", "2026-05-01", "--until", "2026-04-01"),
    ]
    for argv in cases:
        code, out, err = _run(capsys, "--db", db, *argv)
        assert code == 1, argv
        assert err.startswith("error: ") and err.count("\n") == 1, err
        assert "Traceback" not in err and out == ""


def test_status_json_lists_the_promised_fields(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], simulator: Simulator
) -> None:
    db = str(tmp_path / "cli.duckdb")
    _run(
        capsys, "--db", db, "ingest", str(write_jsonl(tmp_path / "in.jsonl", _rows(5)))
    )
    _run(
        capsys,
        "--db",
        db,
        "integration",
        "add",
        "main",
        "--api-key",
        GOOD_KEY,
        "--base-url",
        simulator.base_url,
    )

    code, out, _ = _run(capsys, "--db", db, "push", "--json")
    (pushed,) = json.loads(out)
    code, out, _ = _run(capsys, "--db", db, "status", "--json")

    (row,) = json.loads(out)
    assert code == 0 and pushed["delivered"] == 5
    assert {
        "name",
        "active",
        "consecutive_failures",
        "delivered",
        "failed",
        "unsent",
        "last_error",
    } <= set(row)
    assert (row["delivered"], row["unsent"], row["active"]) == (5, 0, True)


def test_no_output_ever_shows_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], simulator: Simulator
) -> None:
    db = str(tmp_path / "cli.duckdb")
    _run(
        capsys, "--db", db, "ingest", str(write_jsonl(tmp_path / "in.jsonl", _rows(8)))
    )
    outputs = [
        _run(
            capsys,
            "--db",
            db,
            "integration",
            "add",
            "bad",
            "--api-key",
            REVOKED_KEY,
            "--base-url",
            simulator.base_url,
        ),
        _run(capsys, "--db", db, "integration", "list"),
        _run(capsys, "--db", db, "integration", "show", "bad", "--json"),
        _run(capsys, "-vv", "--db", db, "push", "--integration", "bad", "--json"),
        _run(capsys, "--db", db, "push", "--integration", "bad"),
        _run(capsys, "--db", db, "status"),
        _run(capsys, "--db", db, "status", "--json"),
        _run(capsys, "--db", db, "attempts", "--json"),
    ]

    text = "\n".join(out + err for _, out, err in outputs)
    assert REVOKED_KEY not in text
    assert "pk_...ed01" in text or "pk_...oked" in text
    assert "now inactive" in text or '"inactive": true' in text


@pytest.mark.parametrize(
    "kill_after",
    [
        150,
        pytest.param(20, marks=pytest.mark.slow),
        pytest.param(400, marks=pytest.mark.slow),
        pytest.param(560, marks=pytest.mark.slow),
    ],
)
def test_a_push_killed_midway_and_rerun_delivers_every_submission_once(
    tmp_path: Path, simulator: Simulator, kill_after: int
) -> None:
    tk = Toolkit(tmp_path / "killed.duckdb")
    tk.ingest(write_jsonl(tmp_path / "in.jsonl", _rows(600)))
    tk.add_integration("main", api_key=GOOD_KEY, base_url=simulator.base_url)
    command = [
        sys.executable,
        "-m",
        "klaviyo_toolkit.cli",
        "--db",
        str(tk.path),
        "push",
        "--single",
    ]

    pusher = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        # Wait for the condition, bounded: the pusher is killed once it is
        # well under way.
        deadline = time.monotonic() + 60
        while len(simulator.unique_ids()) < kill_after and pusher.poll() is None:
            assert time.monotonic() < deadline, "the push never got going"
            time.sleep(0.005)
        pusher.send_signal(signal.SIGKILL)
    finally:
        pusher.wait()
    killed_at = len(simulator.unique_ids())
    recorded = tk.status().to_dicts()[0]["delivered"]
    rerun = subprocess.run(command, capture_output=True, text=True, check=False)

    received = simulator.unique_ids()
    assert 0 < killed_at < 600
    assert rerun.returncode == 0, rerun.stderr
    assert sorted(received) == sorted(f"c{i:04d}" for i in range(600))
    # The rerun resends exactly what Klaviyo had but the store had not yet recorded
    # (at most the last second's results), and unique_id absorbs those.
    assert recorded <= killed_at
    assert simulator.stats().duplicate_events == killed_at - recorded
    assert tk.status().to_dicts()[0]["unsent"] == 0


def test_db_may_stand_after_the_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    after = tmp_path / "after.duckdb"

    code, _, _ = _run(
        capsys, "integration", "add", "a", "--api-key-env", "K", "--db", str(after)
    )

    assert code == 0
    assert Toolkit(after).integration("a").settings.api_key_env == "K"
