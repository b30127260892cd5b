"""Another process or the webhook receiver writes the store while the app watches it."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import polars as pl
from klaviyo_tui.app import KlaviyoTui
from klaviyo_tui.widgets import Notice

from klaviyo_toolkit import Clock, PushOptions, Toolkit
from klaviyo_toolkit.simulator import Simulator
from klaviyo_toolkit.webhook import WebhookReceiver, WebhookServer

from ..conftest import FAST, GOOD_KEY
from ..test_webhook import SECRET, _donation, _post
from .conftest import NEVER, SIZE
from .helpers import log_rows, refresh, row_text, screen_text, settle, until

HOLD = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])
con.execute("SELECT count(*) FROM integrations").fetchall()
print("held", flush=True)
sys.stdin.readline()
con.close()
"""

PUSH = """
import json, sys
from klaviyo_toolkit import Clock, PushOptions, Toolkit
from klaviyo_toolkit.simulator import Simulator

clock = Clock(float(sys.argv[2]))
with Simulator(clock=clock, seed=2) as simulator:
    # Slow answers stretch the push over many of the app's refreshes.
    simulator.set_faults(latency=40.0)
    tk = Toolkit(sys.argv[1])
    tk.update_integration("flaky", base_url=simulator.base_url)
    options = PushOptions(clock=clock, concurrency=4)
    report = tk.push("flaky", bulk=False, options=options)
print(json.dumps(report.as_dict()))
"""


async def _python(script: str, *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        script,
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )


async def test_a_store_held_by_another_process_is_reported_then_read_again(
    seeded: Toolkit, clock: Clock
) -> None:
    app = KlaviyoTui(seeded.path, clock=clock, poll_interval=NEVER, busy_timeout=0.2)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        notice = app.screen.query_one(Notice)
        assert not notice.display

        holder = await _python(HOLD, str(seeded.path))
        assert holder.stdout is not None and holder.stdin is not None
        assert await holder.stdout.readline() == b"held\n"
        await refresh(pilot)
        assert notice.display
        assert "The database is busy" in screen_text(pilot)
        assert "Retrying" in str(notice.content)

        holder.stdin.write(b"go\n")
        await holder.wait()
        await refresh(pilot)
        assert not notice.display
        assert "● active" in row_text(pilot, "flaky")
        assert app.errors == []


async def test_the_app_shows_another_processs_push_as_it_polls(
    seeded: Toolkit, clock: Clock
) -> None:
    app = KlaviyoTui(seeded.path, clock=clock, poll_interval=0.2)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.counts is not None, what="a first refresh")
        before = app.refreshes

        pusher = await _python(PUSH, str(seeded.path), str(FAST))
        output, _ = await pusher.communicate()
        report = json.loads(output)
        assert report["delivered"] > 0
        during = app.refreshes - before

        def shows_the_push() -> bool:
            row = app.counts.row("flaky") if app.counts is not None else None
            return row is not None and row["delivered"] == report["delivered"]

        await until(pilot, shows_the_push, what="the pushed count on screen")
        assert during >= 2
        assert f"{report['delivered']:,}" in row_text(pilot, "flaky")
        assert app.errors == []
        shown = app.counts.row("flaky") if app.counts is not None else None
        status = seeded.status().row(by_predicate=pl.col("name") == "flaky", named=True)
        assert shown is not None
        assert shown["unsent"] == status["unsent"]


async def test_a_missing_folder_is_said_in_one_line(tmp_path: Path) -> None:
    app = KlaviyoTui(tmp_path / "nowhere" / "relay.duckdb", poll_interval=NEVER)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)

        assert app.errors
        assert "does not exist" in app.errors[0]
        assert app.screen.query_one(Notice).display


async def test_the_relay_log_shows_live_relays_from_the_webhook_receiver(
    tmp_path: Path, clock: Clock, simulator: Simulator
) -> None:
    tk = Toolkit(tmp_path / "live.duckdb")
    tk.add_integration("live", api_key=GOOD_KEY, base_url=simulator.base_url)
    receiver = WebhookReceiver(
        tk, secret=SECRET, relay=True, push_options=PushOptions(clock=clock)
    )
    wanted = {f"live-{i}" for i in range(3)}
    app = KlaviyoTui(tk.path, clock=clock, poll_interval=0.2)

    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.counts is not None, what="a first refresh")
        assert log_rows(pilot) == []
        with WebhookServer(receiver) as server:
            for submission_id in sorted(wanted):
                answer = await asyncio.to_thread(
                    _post, server.url, _donation(submission_id)
                )
                assert answer.status_code == 200

            def shows_the_relays() -> bool:
                delivered = {r[2] for r in log_rows(pilot) if r[4] == "delivered"}
                return wanted <= delivered

            await until(pilot, shows_the_relays, what="the live relays in the log")
        assert app.errors == []
