"""Mapping submissions to Klaviyo bodies: our polars path against a per-row dict loop.

Both sides turn the same generated submissions into the JSON bytes of `/api/events`
bodies, with the same rules (E.164 phones through phonenumbers, address in `location`,
amount x 100, absent profile fields left out, rejections). The anchor is what a careful
person writes without polars: one dict a row, `json.dumps`, phonenumbers once per
distinct phone. Medians of `--runs` runs in one process.

    python -m benchmarks.mapping [--size 1000000] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl

from klaviyo_toolkit import map_submissions, sample
from klaviyo_toolkit.mapping import EMAIL_PATTERN, LOCATION, METRIC_NAME, PROPERTIES
from klaviyo_toolkit.phones import to_e164

from .common import median, write_results

TARGET_RATIO = 5.0
TARGET_SECONDS = 2.0
# The anchor writes the same bodies from the same tables; only the machinery differs.
_EMAIL = re.compile(EMAIL_PATTERN)


def ours(frame: pl.DataFrame) -> int:
    mapped = map_submissions(frame, notes=False, shapes=("body",))
    bodies = mapped.get_column("body").drop_nulls()
    return int(bodies.str.len_bytes().sum())


def anchor(frame: pl.DataFrame) -> int:
    """The same mapping, one Python dict a row."""
    phones: dict[str, str | None] = {}
    latest = datetime.now(UTC) + timedelta(days=365)
    total = 0
    for row in frame.iter_rows(named=True):
        body = _body(row, phones, latest)
        if body is not None:
            text = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
            total += len(text.encode())
    return total


def _body(
    row: dict[str, Any], phones: dict[str, str | None], latest: datetime
) -> dict[str, Any] | None:
    raw_phone = (row["phone"] or "").strip()
    if raw_phone and raw_phone not in phones:
        phones[raw_phone] = to_e164(raw_phone)
    phone = phones.get(raw_phone) if raw_phone else None
    email = (row["email"] or "").strip()
    email = email if _EMAIL.match(email) else ""
    created = row["created_at"]
    if not (email or phone) or created.year < 1990 or created > latest:
        return None

    profile: dict[str, Any] = {}
    for key, value in (
        ("email", email),
        ("phone_number", phone),
        ("first_name", row["first_name"]),
        ("last_name", row["last_name"]),
    ):
        if value:
            profile[key] = value
    location = {k: row[c] for k, c in LOCATION if row[c]}
    if location:
        profile["location"] = location
    attributes: dict[str, Any] = {
        "properties": {key: row[column] for key, column in PROPERTIES},
        "time": created.strftime("%Y-%m-%dT%H:%M:%S+00:00"),
        "unique_id": row["submission_id"],
        "metric": {"data": {"type": "metric", "attributes": {"name": METRIC_NAME}}},
        "profile": {"data": {"type": "profile", "attributes": profile}},
    }
    if row["amount"] is not None:
        attributes["value"] = float(round(float(row["amount"]) * 100))
    return {"data": {"type": "event", "attributes": attributes}}


def _timed(function: Any, frame: pl.DataFrame) -> tuple[float, int]:
    started = time.perf_counter()
    size = function(frame)
    return time.perf_counter() - started, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    frame = sample.generate(args.size, seed=21)
    ours_runs = [_timed(ours, frame) for _ in range(args.runs)]
    anchor_runs = [_timed(anchor, frame) for _ in range(args.runs)]

    ours_s = median([s for s, _ in ours_runs])
    anchor_s = median([s for s, _ in anchor_runs])
    ratio = anchor_s / ours_s
    result = {
        "submissions": args.size,
        "ours_seconds": [round(s, 3) for s, _ in ours_runs],
        "anchor_seconds": [round(s, 3) for s, _ in anchor_runs],
        "median_ours_seconds": round(ours_s, 3),
        "median_anchor_seconds": round(anchor_s, 3),
        "ratio": round(ratio, 2),
        "body_bytes": {"ours": ours_runs[0][1], "anchor": anchor_runs[0][1]},
        "targets": {"ratio": TARGET_RATIO, "seconds": TARGET_SECONDS},
        "met": ratio >= TARGET_RATIO and ours_s <= TARGET_SECONDS,
    }
    print(
        f"{args.size:,} submissions: ours {ours_s:.2f} s, dict loop {anchor_s:.2f} s, "
        f"{ratio:.1f}x (targets {TARGET_RATIO:g}x and {TARGET_SECONDS:g} s: "
        f"{'met' if result['met'] else 'NOT met'})"
    )
    print(f"written to {write_results('mapping', result)}")


if __name__ == "__main__":
    main()
