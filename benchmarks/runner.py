"""Every case of the suite in one process run, each one row beside its anchor.

A case calls the functions of its own module (`mapping`, `ingest`, `relay`, `sdk`,
`tui_refresh`, `webhooks`) and turns what they measured into a `Row`: our figure, the
anchor's, their ratio, the target and whether it is met, with every run's figures kept
as details. The bulk backfill and the peak memory come from the same pushes: each
backfill run pushes from a child process, which reports its own peak memory.
"""

from __future__ import annotations

import functools
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from klaviyo_toolkit import sample
from klaviyo_toolkit.anedot_sender import read_bodies

from . import mapping, relay, sdk, tui_refresh, webhooks
from .common import median
from .ingest import TARGET_RATIO as INGEST_TARGET
from .ingest import measure as measure_ingest

TARGET_PEAK_MB = 1024.0
"""Peak resident memory of a million-submission push: under 1 GiB."""
PACED_RATE = 20.0
"""Webhook deliveries a second while measuring receipt-to-Klaviyo latency."""
NO_ANCHOR = "-"


@dataclass(frozen=True)
class Settings:
    """How big each case runs, and how many times."""

    submissions: int = 1_000_000
    """Submissions mapped, ingested, backfilled in bulk, and pushed for peak memory."""
    single: int = 13_300
    """Events through the single endpoint, ours and the SDK's: four Klaviyo minutes."""
    attempts: int = 1_000_000
    """Relay attempts in the store that the TUI refresh reads."""
    tui_runs: int = tui_refresh.RUNS
    """Timed refreshes of each kind; each takes milliseconds, so more than `runs`."""
    burst: int = 5_000
    """Webhook deliveries in the throughput burst."""
    paced: int = 400
    """Webhook deliveries timed from receipt to Klaviyo."""
    runs: int = 3
    """Runs of each case; the table shows their medians."""
    latency: float = 0.0
    """Clock seconds the simulator holds each single-endpoint answer, for both clients.

    Loopback has no round trip; a server talking to Klaviyo pays one per request, and
    a client that sends one request at a time pays it once per event.
    """


QUICK = Settings(
    submissions=2_000,
    single=400,
    attempts=5_000,
    tui_runs=3,
    burst=60,
    paced=20,
    runs=1,
)
"""Tiny sizes that check the suite works; their figures mean nothing."""


@dataclass
class Row:
    """One line of the table, and the figures behind it."""

    case: str
    ours: str
    anchor: str
    ratio: str
    target: str
    met: bool
    details: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    """How long the case took, all its runs and its anchor's."""
    measured: str = field(
        default_factory=lambda: datetime.now(UTC).isoformat("T", "seconds")
    )
    """When it was measured: a row kept from an earlier run says so."""
    settings: dict[str, Any] = field(default_factory=dict)
    """The sizes and runs it was measured with."""


def run(
    names: Sequence[str],
    settings: Settings,
    *,
    done: Callable[[str, Row], None] | None = None,
) -> dict[str, Row]:
    """The row of each named case, in order, measured in one temporary folder.

    `done` is told of each row as soon as it is measured, so that a long run that
    stops halfway keeps what it had.
    """
    rows = {}
    with tempfile.TemporaryDirectory(prefix="klaviyo-bench-") as name:
        folder = Path(name)
        for case in names:
            print(f"[{case}] running", flush=True)
            started = time.perf_counter()
            row = CASES[case](settings, folder)
            row.seconds = round(time.perf_counter() - started, 1)
            row.settings = asdict(settings)
            rows[case] = row
            print(f"[{case}] done in {row.seconds:.1f} s", flush=True)
            if done is not None:
                done(case, row)
    return rows


def mapping_row(settings: Settings, folder: Path) -> Row:
    frame = sample.generate(settings.submissions, seed=21)
    ours_runs = [_seconds(mapping.ours, frame) for _ in range(settings.runs)]
    anchor_runs = [_seconds(mapping.anchor, frame) for _ in range(settings.runs)]

    ours, anchor = median(ours_runs), median(anchor_runs)
    ratio = anchor / ours
    return Row(
        case="mapping",
        ours=f"{ours:.2f} s",
        anchor=f"{anchor:.2f} s (a dict a row)",
        ratio=f"{ratio:.1f}x faster",
        target=f">= {mapping.TARGET_RATIO:g}x and <= {mapping.TARGET_SECONDS:g} s",
        met=ratio >= mapping.TARGET_RATIO and ours <= mapping.TARGET_SECONDS,
        details={
            "submissions": settings.submissions,
            "ours_seconds": [round(s, 3) for s in ours_runs],
            "anchor_seconds": [round(s, 3) for s in anchor_runs],
            "median_ours_seconds": round(ours, 3),
            "median_anchor_seconds": round(anchor, 3),
            "ratio": round(ratio, 2),
        },
    )


def _seconds(function: Callable[[pl.DataFrame], int], frame: pl.DataFrame) -> float:
    started = time.perf_counter()
    function(frame)
    return time.perf_counter() - started


def ingest_row(settings: Settings, folder: Path) -> Row:
    found = measure_ingest(settings.submissions, settings.runs)
    return Row(
        case="ingest",
        ours=f"{found['median_ours_seconds']:.2f} s",
        anchor=f"{found['median_anchor_seconds']:.2f} s (bare read_json)",
        ratio=f"{found['ratio']:.2f}x the bare read",
        target=f"<= {INGEST_TARGET:g}x",
        met=found["met"],
        details=found,
    )


def single_row(settings: Settings, folder: Path) -> Row:
    speed, runs, latency = relay.SINGLE_SPEED, settings.runs, settings.latency
    ours = relay.case(
        settings.single,
        bulk=False,
        speed=speed,
        runs=runs,
        folder=folder,
        latency=latency,
    )
    anchor = (
        sdk.case(
            settings.single, speed=speed, runs=runs, folder=folder, latency=latency
        )
        if sdk.installed()
        else None
    )

    met = ours["met"] and ours["throttled_after_first_window"] == 0
    round_trip = f", {settings.latency:g} s answers" if settings.latency else ""
    return Row(
        case=f"relay, single endpoint{round_trip}",
        ours=_relay_figure(ours),
        anchor=f"SDK: {_relay_figure(anchor)}" if anchor else sdk.MISSING,
        ratio=_rate_ratio(ours, anchor),
        target=f">= {relay.TARGET_FRACTION:g}, none lost, no 429 after minute one",
        met=met,
        details={"ours": ours, "sdk": anchor},
    )


def _rate_ratio(ours: dict[str, Any], anchor: dict[str, Any] | None) -> str:
    """Ours over the SDK's events a second over the whole run: how much sooner the
    same push is done. The steady fractions stand beside it in each figure."""
    if anchor is None or not anchor["median_events_per_clock_second"]:
        return NO_ANCHOR
    rate = "median_events_per_clock_second"
    return f"{ours[rate] / anchor[rate]:.2f}x the SDK's events/s"


def _relay_figure(found: dict[str, Any]) -> str:
    """The fraction of the limit in the steady minutes (when the run had any) and
    over the whole run, the whole run's rate, and what was lost or throttled."""
    steady = found["median_steady_fraction"]
    fractions = f"{found['median_fraction_of_limit']:.3f} of the limit over the run"
    if steady is not None:
        fractions = f"{steady:.3f} of the limit steady, " + fractions
    return (
        f"{fractions} ({found['median_events_per_clock_second']:,.1f} events/s), "
        f"{found['lost']} lost, {found['throttled']} 429s"
    )


def bulk_row(settings: Settings, folder: Path) -> Row:
    found = _backfill(settings.submissions, settings.runs, folder)
    clock = found["real_clock"]
    return Row(
        case=f"relay, bulk backfill of {settings.submissions:,}",
        ours=f"{_relay_figure(found)}; {clock['minutes']:.2f} min at the real clock",
        anchor=(
            f"floor {clock['floor_minutes']:.2f} min; "
            f"one by one {clock['one_by_one_hours']:.2f} h"
        ),
        ratio=f"{clock['over_floor']:.2f}x the floor",
        target=f"<= {relay.TARGET_OVER_FLOOR:g}x the floor, none lost",
        met=clock["met"],
        details=found,
    )


def memory_row(settings: Settings, folder: Path) -> Row:
    found = _backfill(settings.submissions, settings.runs, folder)
    peaks = [run["peak_rss_mb"] for run in found["runs"]]
    return Row(
        case=f"peak memory, push of {settings.submissions:,}",
        ours=f"{max(peaks):,.0f} MiB peak RSS (bulk push, child process)",
        anchor=NO_ANCHOR,
        ratio=NO_ANCHOR,
        target=f"< {TARGET_PEAK_MB:,.0f} MiB",
        met=max(peaks) < TARGET_PEAK_MB and found["lost"] == 0,
        details={
            "submissions": settings.submissions,
            "peak_rss_mb": peaks,
            "delivered": [run["delivered"] for run in found["runs"]],
            "lost": found["lost"],
        },
    )


@functools.cache
def _backfill(submissions: int, runs: int, folder: Path) -> dict[str, Any]:
    # The bulk row and the memory row read the same pushes; measure them once.
    return relay.backfill(submissions, speed=relay.BULK_SPEED, runs=runs, folder=folder)


def tui_row(settings: Settings, folder: Path) -> Row:
    found = tui_refresh.run(settings.attempts, settings.tui_runs)
    medians = found["median_ms"]
    return Row(
        case=f"TUI refresh on {settings.attempts:,} attempts",
        ours=(
            f"{found['worst_refresh_ms']:.1f} ms worst refresh "
            f"(main {medians['refresh, main screen']:.1f}, "
            f"detail {medians['refresh, detail screen open']:.1f})"
        ),
        anchor=NO_ANCHOR,
        ratio=NO_ANCHOR,
        target=f"< {tui_refresh.TARGET_MS:g} ms",
        met=found["met"],
        details=found,
    )


def webhooks_row(settings: Settings, folder: Path) -> Row:
    path = folder / "webhooks.jsonl"
    sample.write_webhook_jsonl(sample.generate(settings.burst, seed=5), path)
    bodies = list(read_bodies(path))

    stored = webhooks.throughput(folder, bodies, settings.runs)
    timed = webhooks.latency(folder, bodies[: settings.paced], PACED_RATE)

    return Row(
        case="webhook receiver",
        ours=(
            f"{stored['median_per_second']:,.1f} deliveries/s stored; "
            f"receipt to 202 median {timed['median_seconds']:.2f} s, "
            f"p99 {timed['p99_seconds']:.2f} s"
        ),
        anchor=NO_ANCHOR,
        ratio=NO_ANCHOR,
        target=f">= {webhooks.TARGET_PER_SECOND}/s stored",
        met=stored["met"],
        details={"throughput": stored, "latency": timed},
    )


CASES: dict[str, Callable[[Settings, Path], Row]] = {
    "mapping": mapping_row,
    "ingest": ingest_row,
    "relay-single": single_row,
    "relay-bulk": bulk_row,
    "memory": memory_row,
    "tui": tui_row,
    "webhooks": webhooks_row,
}
