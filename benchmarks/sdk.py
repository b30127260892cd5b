"""The anchor of the single-endpoint relay: the official SDK's `create_event` in a loop.

What a user would otherwise write: the `klaviyo-api` package's client pointed at the
simulator through its `test_host` setting (the generated configuration's host), and
`Events.create_event` called once per event in a plain loop, with the SDK's defaults
(its own revision header, three attempts, waits from `Retry-After` and its backoff, no
timeout). The events are our mapped bodies turned into the SDK's request model, so
both sides send the same events to the same simulator process at Klaviyo's real limits,
on the same sped-up clock as `relay`'s single case. An event whose call raises after
the SDK's last attempt is lost, and the loop goes on, as a careful user's would.

The SDK waits with `time.sleep` and times `Retry-After` with `time.time`; for a run its
retry module reads the run's `Clock` instead, so that its waits shrink as the
simulator's windows do. Without that it would sleep `speed` times too long.

Needs the `bench` extra: `pip install -e '.[bench]'`.
"""

from __future__ import annotations

import importlib.util
import json
import time
from collections import Counter
from pathlib import Path
from typing import Any
from unittest import mock

from klaviyo_toolkit import Clock
from klaviyo_toolkit.klaviyo import REVISION
from klaviyo_toolkit.ratelimit import EVENT_LIMITS

from .common import median, simulator_process, simulator_stats
from .relay import ideal_seconds, latency_option, prepare, steady_fraction

KEY = "pk_" + "s" * 30
MISSING = "the official SDK is not installed (pip install -e '.[bench]')"


class ClockTime:
    """The two functions of the `time` module that the SDK's retries use, on a Clock."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def time(self) -> float:
        return self.clock.now()

    def sleep(self, seconds: float) -> None:
        self.clock.sleep_blocking(seconds)


def installed() -> bool:
    return importlib.util.find_spec("klaviyo_api") is not None


def bodies(folder: Path, count: int) -> list[dict[str, Any]]:
    """The `/api/events` bodies our push sends for the same generated set."""
    tk = prepare(folder, count)
    mapped = tk.preview(mode="all", limit=count).get_column("body").drop_nulls()
    return [json.loads(body) for body in mapped]


def one_run(
    documents: list[dict[str, Any]], *, speed: float, latency: float = 0.0
) -> dict[str, Any]:
    """Every document through `Events.create_event`, one call after another."""
    from klaviyo_api import KlaviyoAPI, custom_retry
    from openapi_client.exceptions import ApiException
    from openapi_client.models.event_create_query_v2 import EventCreateQueryV2

    clock = Clock(speed)
    answered: list[float] = []
    raised: Counter[int] = Counter()
    with (
        simulator_process(speed=speed, extra=latency_option(latency)) as base_url,
        mock.patch.object(custom_retry, "time", ClockTime(clock)),
    ):
        client = KlaviyoAPI(KEY, test_host=base_url)
        started = time.perf_counter()
        for document in documents:
            try:
                client.Events.create_event(EventCreateQueryV2.from_dict(document))
            except ApiException as error:
                raised[int(error.status or 0)] += 1
                continue
            answered.append(clock.now())
        seconds = time.perf_counter() - started
        stats = simulator_stats(base_url)

    return _figures(len(documents), answered, raised, stats, seconds, speed)


def _figures(
    events: int,
    answered: list[float],
    raised: Counter[int],
    stats: dict[str, Any],
    seconds: float,
    speed: float,
) -> dict[str, Any]:
    clock_seconds = seconds * speed
    since_first = [t - answered[0] for t in answered] if answered else []
    ideal = ideal_seconds(len(answered), EVENT_LIMITS)
    return {
        "steady_fraction": steady_fraction(since_first, EVENT_LIMITS),
        "events": events,
        "delivered": len(answered),
        "wall_seconds": round(seconds, 3),
        "clock_seconds": round(clock_seconds, 2),
        "ideal_clock_seconds": round(ideal, 2),
        "fraction_of_limit": round(ideal / clock_seconds, 3) if clock_seconds else 0.0,
        "events_per_clock_second": round(len(answered) / clock_seconds, 1)
        if clock_seconds
        else 0.0,
        "accepted_at_simulator": stats["accepted_events"],
        "lost": events - stats["accepted_events"],
        "raised": {str(status): count for status, count in sorted(raised.items())},
        "throttled": int(stats["by_status"].get("429", 0)),
        "by_status": stats["by_status"],
    }


def case(
    count: int, *, speed: float, runs: int, folder: Path, latency: float = 0.0
) -> dict[str, Any]:
    """`runs` runs of the SDK loop over the bodies of `count` generated submissions."""
    from klaviyo_api import KlaviyoAPI

    documents = bodies(folder, count)
    results = [one_run(documents, speed=speed, latency=latency) for _ in range(runs)]

    steadies = [r["steady_fraction"] for r in results if r["steady_fraction"]]
    return {
        "client": "klaviyo-api",
        "revision": KlaviyoAPI._REVISION,
        "same_revision_as_ours": KlaviyoAPI._REVISION == REVISION,
        "submissions": count,
        "speed": speed,
        "latency": latency,
        "runs": results,
        "median_steady_fraction": median(steadies) if steadies else None,
        "median_fraction_of_limit": median([r["fraction_of_limit"] for r in results]),
        "median_events_per_clock_second": median(
            [r["events_per_clock_second"] for r in results]
        ),
        "steady_limit_events_per_second": round(EVENT_LIMITS.steady / 60, 1),
        "lost": max(r["lost"] for r in results),
        "throttled": max(r["throttled"] for r in results),
    }
