"""Random and hostile submissions through ingest and mapping.

Nothing crashes, every line is stored or quarantined with a reason, and every body
produced is one Klaviyo accepts.
"""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from klaviyo_toolkit import Toolkit, map_submissions

from .test_mapping import ALLOWED_LOCATION, ALLOWED_PROFILE

_JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
    | st.text(alphabet=st.characters(codec="utf-8"), max_size=300)
)
_JSON = st.recursive(
    _JSON_SCALARS,
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=6,
)
_PLAUSIBLE = {
    "id": st.uuids().map(str)
    | st.sampled_from(["a", "a", " ", "x'; DROP TABLE submissions; --"]),
    "createdAt": st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2026, 11, 1)
    ).map(lambda moment: moment.isoformat() + "Z")
    | st.datetimes(
        min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1)
    ).map(lambda moment: moment.isoformat() + "Z")
    | st.sampled_from(
        ["2020-12-11 22:06:25 UTC", "2026-02-30T10:00:00Z", "yesterday", ""]
    ),
    "amount": st.decimals(min_value=0, max_value=100_000, places=2).map(str)
    | st.decimals(min_value=0, max_value=100_000, places=2).map(str)
    | st.sampled_from(["25.00", "-5", "1e3", "twenty", "99999999999", "0.001"]),
    "email": st.sampled_from(["a@example.org", "not-an-address", " b@example.org "])
    | st.emails(),
    "phone": st.sampled_from(["5042345678", "+44 20 7946 0958", "123", "📞", ""])
    | st.text(max_size=20),
    "kind": st.sampled_from(["donation"] * 4 + ["lead"] * 4 + ["refund"]),
}  # fmt: skip
_FIELDS = [*_PLAUSIBLE, "firstName", "lastName", "address", "utmCodes", "sourceCode",
           "accountName", "actionPageId", "customFields"]  # fmt: skip


@st.composite
def _submission(draw: st.DrawFn) -> dict[str, Any]:
    """Mostly plausible fields, so that many rows get as far as a Klaviyo body; one in
    eight of each is junk of any JSON type and one in ten is missing (fewer for the
    fields whose junk quarantines the row)."""
    row: dict[str, Any] = {}
    for field in _FIELDS:
        roll = draw(st.integers(min_value=0, max_value=39))
        critical = field in ("id", "createdAt", "amount", "kind")
        if roll < (1 if critical else 4):
            continue
        if roll < (3 if critical else 9):
            row[field] = draw(_JSON)
        else:
            row[field] = draw(_PLAUSIBLE.get(field, st.text(max_size=60)))
    return row


_LINES = st.lists(
    _submission().map(json.dumps)
    | st.sampled_from(["{broken", "[1, 2]", "42", "null", '"text"', ""]),
    min_size=1,
    max_size=25,
)


def _schema() -> dict[str, Any]:
    text = resources.files("klaviyo_toolkit").joinpath(
        "schemas/klaviyo-event-schema.json"
    )
    return dict(json.loads(text.read_text())["create_event"])


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(lines=_LINES)
def test_hostile_lines_are_stored_or_quarantined_and_map_to_valid_bodies(
    tmp_path: Path, lines: list[str]
) -> None:
    # Hypothesis runs many examples in one test's folder: each gets a folder of its own.
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    path = folder / "hostile.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tk = Toolkit(folder / "hostile.duckdb")

    report = tk.ingest(path)
    mapped = map_submissions(tk.submissions(), now=datetime(2026, 12, 1, tzinfo=UTC))

    non_empty = sum(1 for line in lines if line.strip())
    assert report.read == non_empty
    assert report.stored + report.duplicates + report.quarantined == non_empty
    assert tk.quarantine()["reason"].str.len_chars().min() or report.quarantined == 0
    assert mapped.height == report.stored
    rejected = mapped.filter(pl.col("status") == "rejected")
    assert rejected["reason"].null_count() == 0
    validator = jsonschema.Draft202012Validator(_schema())
    for body in mapped.filter(pl.col("status") == "ok")["body"]:
        document = json.loads(body)
        validator.validate(document)
        profile = document["data"]["attributes"]["profile"]["data"]["attributes"]
        assert set(profile) <= ALLOWED_PROFILE
        assert set(profile.get("location", {})) <= ALLOWED_LOCATION
        assert profile.get("email") or profile.get("phone_number", "").startswith("+")
