"""The webhook receiver: deliveries stored per second, and receipt-to-Klaviyo latency.

The receiver runs as `klaviyo-toolkit serve` in its own process, as in production.

- Throughput: a burst of signed deliveries from 64 concurrent keep-alive connections,
  relaying off. Two rates: answered (each answer comes once the delivery is fsync'd in
  the journal) and stored (from the first send until the journal is empty, so every
  delivery is in DuckDB and queryable). The stored rate is the one the receiver
  sustains. Target: 500/s.
- Latency: deliveries at a steady 20/s with relaying on, to a simulator at Klaviyo's
  real limits; for each, the time from sending it to the simulator's 202 for its event
  (the relay's attempt time), median and p99.

    python -m benchmarks.webhooks [--burst 5000] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from klaviyo_toolkit import Toolkit, sample
from klaviyo_toolkit.anedot_sender import deliver, headers_for, read_bodies
from klaviyo_toolkit.webhook import default_journal

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


async def _burst(url: str, bodies: list[bytes]) -> tuple[float, float]:
    """When SENDERS keep-alive connections started and finished delivering every body
    (perf_counter seconds).

    The requests are signed and encoded before the clock starts, and sent by a bare
    HTTP/1.1 writer: a full client costs more CPU per request than the receiver does,
    and on two cores it would measure itself.
    """
    target = httpx.URL(url)
    queue = deque(_request(target, body) for body in bodies)
    statuses: list[int] = []

    started = time.perf_counter()
    await asyncio.gather(*(_sender(target, queue, statuses) for _ in range(SENDERS)))
    finished = time.perf_counter()

    refused = [status for status in statuses if status != 200]
    if refused or len(statuses) != len(bodies):
        raise RuntimeError(f"{len(refused)} deliveries refused: {refused[:5]}")
    return started, finished


def _request(target: httpx.URL, body: bytes) -> bytes:
    headers = headers_for(body, SECRET.encode())
    lines = [
        f"POST {target.raw_path.decode()} HTTP/1.1",
        f"Host: {target.host}:{target.port}",
        f"Content-Length: {len(body)}",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _sender(target: httpx.URL, queue: deque[bytes], statuses: list[int]) -> None:
    reader, writer = await asyncio.open_connection(target.host, target.port)
    writer.get_extra_info("socket").setsockopt(
        socket.IPPROTO_TCP, socket.TCP_NODELAY, 1
    )
    try:
        while queue:
            writer.write(queue.popleft())
            statuses.append(await _status(reader))
    finally:
        writer.close()
        await writer.wait_closed()


async def _status(reader: asyncio.StreamReader) -> int:
    """Read one answer whole; its status code."""
    status = int((await reader.readline()).split()[1])
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    await reader.readexactly(length)
    return status


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
    """Deliveries a second, answered (durable in the journal) and in the store (moved
    into DuckDB and queryable): the second is what the receiver sustains."""
    answered_rates = []
    stored_rates = []
    for run in range(runs):
        db = folder / f"burst-{run}.duckdb"
        Toolkit(db).integrations()
        with receiver_process(db, relay=False) as url:
            started, answered = asyncio.run(_burst(url, bodies))
            moved = _wait_until_moved(default_journal(db))
        stored = Toolkit(db).submissions().height
        if stored != len(bodies):
            raise RuntimeError(f"{stored} of {len(bodies)} deliveries in the store")
        answered_rates.append(len(bodies) / (answered - started))
        stored_rates.append(len(bodies) / (moved - started))
        print(
            f"  burst run {run}: {len(bodies)} answered in {answered - started:.2f} s, "
            f"all in the store after {moved - started:.2f} s"
        )
    rate = median(stored_rates)
    return {
        "deliveries": len(bodies),
        "senders": SENDERS,
        "answered_per_second_runs": [round(r, 1) for r in answered_rates],
        "answered_median_per_second": round(median(answered_rates), 1),
        "stored_per_second_runs": [round(r, 1) for r in stored_rates],
        "median_per_second": round(rate, 1),
        "target": TARGET_PER_SECOND,
        "met": rate >= TARGET_PER_SECOND,
    }


def _wait_until_moved(journal: Path, timeout: float = 300.0) -> float:
    """The moment the receiver's journal is empty: everything answered is in DuckDB.

    Watching the folder, not querying the store, keeps the benchmark off the file lock.
    """
    deadline = time.monotonic() + timeout
    while any(journal.glob("segment-*")):
        if time.monotonic() > deadline:
            raise RuntimeError(f"the journal {journal} was not drained in {timeout} s")
        time.sleep(0.01)
    return time.perf_counter()


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
