"""The webhook receiver: deliveries stored per second, and receipt-to-Klaviyo latency.

The receiver runs as `klaviyo-toolkit serve` in its own process, as in production.

- Throughput: a burst of signed deliveries from 64 concurrent connections, relaying off;
  every answer comes after the delivery is durable, so answers per second are deliveries
  stored per second. Target: 500/s.
- Latency: deliveries at a steady 20/s with relaying on, to a simulator at Klaviyo's
  real limits; for each, the time from sending it to the simulator's 202 for its event
  (the relay's attempt time), median and p99.

    python -m benchmarks.webhooks [--burst 5000] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from klaviyo_toolkit import Toolkit, sample
from klaviyo_toolkit.anedot_sender import deliver, read_bodies

from .common import (
    free_port,
    median,
    simulator_process,
    wait_until_listening,
    write_results,
)

SECRET = "benchmark-secret"
TARGET_PER_SECOND = 500
SENDERS = 64


@contextmanager
def receiver_process(db: Path, *, relay: bool) -> Iterator[str]:
    port = free_port()
    command = [
        sys.executable, "-m", "klaviyo_toolkit.cli", "--db", str(db), "serve",
        "--port", str(port), *(["--relay"] if relay else []),
    ]  # fmt: skip
    environment = {**os.environ, "ANEDOT_WEBHOOK_SECRET": SECRET}
    process = subprocess.Popen(
        command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}/anedot"
    try:
        wait_until_listening(url, process, what="receiver")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


async def _burst(url: str, bodies: list[bytes]) -> float:
    # 64 senders, each posting its share in turn: queueing thousands of requests on one
    # httpx pool costs the client quadratic time, which would measure the client.
    limits = httpx.Limits(max_connections=SENDERS)
    queue = list(reversed(bodies))
    answers: list[httpx.Response] = []

    async def sender(client: httpx.AsyncClient) -> None:
        while queue:
            answers.append(await deliver(client, url, queue.pop(), SECRET.encode()))

    async with httpx.AsyncClient(limits=limits, timeout=120) as client:
        started = time.perf_counter()
        await asyncio.gather(*(sender(client) for _ in range(SENDERS)))
        seconds = time.perf_counter() - started
    refused = [a.status_code for a in answers if a.status_code != 200]
    if refused:
        raise RuntimeError(f"{len(refused)} deliveries refused: {refused[:5]}")
    return seconds


async def _paced(url: str, bodies: list[bytes], rate: float) -> dict[str, datetime]:
    sent: dict[str, datetime] = {}
    async with httpx.AsyncClient(timeout=120) as client:
        tasks = []
        for index, body in enumerate(bodies):
            await asyncio.sleep(max(0.0, index / rate - _elapsed(sent)))
            submission_id = _submission_id(body)
            sent[submission_id] = datetime.now(UTC)
            delivery = deliver(client, url, body, SECRET.encode())
            tasks.append(asyncio.create_task(delivery))
        await asyncio.gather(*tasks)
    return sent


def _elapsed(sent: dict[str, datetime]) -> float:
    if not sent:
        return 0.0
    first = next(iter(sent.values()))
    return (datetime.now(UTC) - first).total_seconds()


def _submission_id(body: bytes) -> str:
    import json

    document = json.loads(body)
    payload = document.get("payload", document)
    return str(payload["submission_id"])


def throughput(folder: Path, bodies: list[bytes], runs: int) -> dict[str, Any]:
    rates = []
    for run in range(runs):
        db = folder / f"burst-{run}.duckdb"
        Toolkit(db).integrations()
        with receiver_process(db, relay=False) as url:
            seconds = asyncio.run(_burst(url, bodies))
        stored = Toolkit(db).submissions().height
        rates.append(len(bodies) / seconds)
        print(f"  burst run {run}: {len(bodies)} in {seconds:.2f} s, {stored} stored")
    rate = median(rates)
    return {
        "deliveries": len(bodies),
        "runs_per_second": [round(r, 1) for r in rates],
        "median_per_second": round(rate, 1),
        "target": TARGET_PER_SECOND,
        "met": rate >= TARGET_PER_SECOND,
    }


def latency(folder: Path, bodies: list[bytes], rate: float) -> dict[str, Any]:
    db = folder / "latency.duckdb"
    tk = Toolkit(db)
    with simulator_process(speed=1.0) as base_url:
        tk.add_integration("live", api_key="pk_" + "l" * 30, base_url=base_url)
        with receiver_process(db, relay=True) as url:
            sent = asyncio.run(_paced(url, bodies, rate))
            _wait_for_relays(tk, len(sent))
    delivered = tk.attempts("live", outcome="delivered", limit=1_000_000)
    answered = dict(
        zip(delivered["submission_id"], delivered["attempted_at"], strict=True)
    )
    waits = sorted(
        (answered[sid] - moment).total_seconds()
        for sid, moment in sent.items()
        if sid in answered
    )
    return {
        "deliveries": len(sent),
        "relayed": len(waits),
        "rate_per_second": rate,
        "median_seconds": round(statistics.median(waits), 3),
        "p99_seconds": round(waits[int(0.99 * (len(waits) - 1))], 3),
    }


def _wait_for_relays(tk: Toolkit, expected: int) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status = tk.status().to_dicts()[0]
        if status["delivered"] + status["rejected"] >= expected:
            return
        time.sleep(0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--burst", type=int, default=5_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--paced", type=int, default=400)
    parser.add_argument("--rate", type=float, default=20.0)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        frame = sample.generate(args.burst, seed=5)
        sample.write_webhook_jsonl(frame, folder / "webhooks.jsonl")
        bodies = list(read_bodies(folder / "webhooks.jsonl"))
        stored = throughput(folder, bodies, args.runs)
        timed = latency(folder, bodies[: args.paced], args.rate)

    print(
        f"stored {stored['median_per_second']:,.0f} deliveries/s "
        f"(target {TARGET_PER_SECOND}: {'met' if stored['met'] else 'NOT met'}); "
        f"receipt to Klaviyo 202: median {timed['median_seconds']} s, "
        f"p99 {timed['p99_seconds']} s"
    )
    path = write_results("webhooks", {"throughput": stored, "latency": timed})
    print(f"written to {path}")


if __name__ == "__main__":
    main()
