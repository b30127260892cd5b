from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any, TypedDict, Unpack

import jsonschema
import polars as pl
import pytest

from klaviyo_toolkit import Toolkit, map_submissions, mapping_table
from klaviyo_toolkit import phones as phones_module
from klaviyo_toolkit.errors import ConfigError
from klaviyo_toolkit.mapping import METRIC_NAME
from klaviyo_toolkit.settings import ValueUnit

from .conftest import REPO, SAMPLE, camel, write_jsonl

REFERENCE_SCHEMA_SHA256 = (
    "c2c991bfeb4fee8eca3df2daefa96ce893e8e0a524d89ab9f13b99ac1372e8cb"
)

ANNIE_DOT = {
    "id": "e1c0b789-81c5-489c-959f-e30ca6fa4c9a",
    "createdAt": "2023-05-15T16:37:30.844Z",
    "amount": "2.00",
    "email": "annie.dot@example.com",
    "firstName": "Annie",
    "lastName": "Dot",
    "phone": "1231231234",
    "address": {
        "postalCode": "70112",
        "city": "New Orleans",
        "region": "LA",
        "country": "US",
    },
    "utmCodes": {
        "term": None,
        "medium": None,
        "source": None,
        "content": None,
        "campaign": None,
    },
    "sourceCode": None,
    "accountName": "The Charitable Foundation",
}

# Anedot's own example body, in the real API's shape:
# the envelope, location, no bad phone.
ANNIE_DOT_BODY: dict[str, Any] = {
    "data": {
        "type": "event",
        "attributes": {
            "properties": {
                "utm_term": None,
                "utm_medium": None,
                "utm_source": None,
                "Source Code": None,
                "utm_content": None,
                "utm_campaign": None,
                "Anedot Account": "The Charitable Foundation",
            },
            "time": "2023-05-15T16:37:30+00:00",
            "value": 200.0,
            "unique_id": "e1c0b789-81c5-489c-959f-e30ca6fa4c9a",
            "metric": {"data": {"type": "metric", "attributes": {"name": METRIC_NAME}}},
            "profile": {
                "data": {
                    "type": "profile",
                    "attributes": {
                        "email": "annie.dot@example.com",
                        "first_name": "Annie",
                        "last_name": "Dot",
                        "location": {
                            "city": "New Orleans",
                            "region": "LA",
                            "zip": "70112",
                            "country": "US",
                        },
                    },
                }
            },
        },
    }
}

ALLOWED_PROFILE = {
    "email",
    "phone_number",
    "external_id",
    "anonymous_id",
    "_kx",
    "first_name",
    "last_name",
    "organization",
    "locale",
    "title",
    "image",
    "location",
    "properties",
    "meta",
}
ALLOWED_LOCATION = {
    "address1",
    "address2",
    "city",
    "region",
    "zip",
    "country",
    "timezone",
    "ip",
    "latitude",
    "longitude",
}


def _schema() -> dict[str, Any]:
    text = resources.files("klaviyo_toolkit").joinpath(
        "schemas/klaviyo-event-schema.json"
    )
    return dict(json.loads(text.read_text()))


class _MapOptions(TypedDict, total=False):
    value_unit: ValueUnit
    backfill: bool
    now: datetime | None


def _mapped(
    tk: Toolkit, tmp_path: Path, rows: Sequence[object], **options: Unpack[_MapOptions]
) -> pl.DataFrame:
    tk.ingest(write_jsonl(tmp_path / "in.jsonl", rows))
    return map_submissions(tk.submissions(), **options)


def test_annie_dot_maps_field_for_field(tk: Toolkit, tmp_path: Path) -> None:
    mapped = _mapped(tk, tmp_path, [ANNIE_DOT])

    (row,) = mapped.to_dicts()
    assert row["status"] == "ok"
    assert json.loads(row["body"]) == ANNIE_DOT_BODY
    assert "phone '1231231234' dropped: not a valid number" in row["notes"]


def test_the_bulk_item_carries_the_same_event_and_profile(
    tk: Toolkit, tmp_path: Path
) -> None:
    (row,) = _mapped(tk, tmp_path, [ANNIE_DOT]).to_dicts()

    item = json.loads(row["bulk_item"])
    single = ANNIE_DOT_BODY["data"]["attributes"]
    (event,) = item["attributes"]["events"]["data"]
    assert item["attributes"]["profile"] == single["profile"]
    assert event["attributes"] == {k: v for k, v in single.items() if k != "profile"}


def test_the_packaged_schema_is_the_reference_schema() -> None:
    packaged = resources.files("klaviyo_toolkit").joinpath(
        "schemas/klaviyo-event-schema.json"
    )
    reference = REPO.parent / "shared" / "reference" / "klaviyo-event-schema.json"

    digest = hashlib.sha256(packaged.read_bytes()).hexdigest()

    # The digest of the reference as it was copied; beside a checkout, the file itself.
    assert digest == REFERENCE_SCHEMA_SHA256
    if reference.exists():
        assert hashlib.sha256(reference.read_bytes()).hexdigest() == digest


def test_every_sample_body_validates_against_klaviyos_schema(tk: Toolkit) -> None:
    tk.ingest(SAMPLE / "submissions.jsonl")
    mapped = map_submissions(tk.submissions(), now=datetime(2026, 12, 1, tzinfo=UTC))
    schema = _schema()
    single = jsonschema.Draft202012Validator(schema["create_event"])
    ok = mapped.filter(pl.col("status") == "ok")

    assert ok.height > 1_500
    for body in ok.get_column("body").to_list():
        document = json.loads(body)
        single.validate(document)
        profile = document["data"]["attributes"]["profile"]["data"]["attributes"]
        assert set(profile) <= ALLOWED_PROFILE
        assert set(profile.get("location", {})) <= ALLOWED_LOCATION
        assert None not in profile.values() and "" not in profile.values()
        assert profile.get("email") or profile.get("phone_number", "").startswith("+")


def test_a_sample_bulk_request_validates_against_klaviyos_schema(tk: Toolkit) -> None:
    from klaviyo_toolkit.bulk import bulk_batches

    tk.ingest(SAMPLE / "submissions.jsonl")
    ok = map_submissions(tk.submissions()).filter(pl.col("status") == "ok")
    pairs = zip(
        ok["submission_id"].to_list(),
        [i.encode() for i in ok["bulk_item"]],
        strict=True,
    )
    bulk = jsonschema.Draft202012Validator(_schema()["bulk_create_events"])

    for batch in bulk_batches(pairs):
        bulk.validate(json.loads(batch.payload))


def test_dollars_send_the_amount_with_its_currency(tk: Toolkit, tmp_path: Path) -> None:
    (row,) = _mapped(
        tk, tmp_path, [camel("d1", amount="25.50")], value_unit="dollars"
    ).to_dicts()

    attributes = json.loads(row["body"])["data"]["attributes"]
    assert attributes["value"] == 25.5
    assert attributes["value_currency"] == "USD"


def test_a_lead_carries_no_value(tk: Toolkit, tmp_path: Path) -> None:
    (row,) = _mapped(tk, tmp_path, [camel("l1", amount=None, kind="lead")]).to_dicts()

    attributes = json.loads(row["body"])["data"]["attributes"]
    assert "value" not in attributes and "value_currency" not in attributes


def test_phone_only_donors_are_sent_with_an_e164_phone(
    tk: Toolkit, tmp_path: Path
) -> None:
    (row,) = _mapped(
        tk, tmp_path, [camel("p1", email=None, phone="(504) 234-5678")]
    ).to_dicts()

    body = json.loads(row["body"])
    profile = body["data"]["attributes"]["profile"]["data"]["attributes"]
    assert profile["phone_number"] == "+15042345678"
    assert "email" not in profile
    assert "phone '(504) 234-5678' normalized to +15042345678" in row["notes"]


def test_no_email_and_no_usable_phone_is_rejected_with_the_reason(
    tk: Toolkit, tmp_path: Path
) -> None:
    rows = [camel("r1", email="not-an-address", phone="123"), camel("r2", email=None)]

    mapped = _mapped(tk, tmp_path, rows).sort("submission_id")

    assert mapped["status"].to_list() == ["rejected", "rejected"]
    assert mapped["body"].to_list() == [None, None]
    reasons = mapped["reason"].to_list()
    assert "email 'not-an-address' is not an address" in reasons[0]
    assert "phone '123' is not a valid number" in reasons[0]
    assert "no email and no phone" in reasons[1]


def test_times_klaviyo_would_refuse_are_rejected_here(
    tk: Toolkit, tmp_path: Path
) -> None:
    rows = [
        camel("old", createdAt="1989-12-31T23:59:59Z"),
        camel("new", createdAt="2099-01-01"),
    ]

    mapped = _mapped(tk, tmp_path, rows).sort("submission_id")

    assert mapped["status"].to_list() == ["rejected", "rejected"]
    assert "more than a year ahead" in mapped["reason"][0]
    assert "before 1990" in mapped["reason"][1]


def test_text_with_quotes_and_emoji_stays_valid_json(
    tk: Toolkit, tmp_path: Path
) -> None:
    name = 'Zoë "Z" O\'Brien \\ 🎉\u2028'
    (row,) = _mapped(tk, tmp_path, [camel("q1", firstName=name)]).to_dicts()

    body = json.loads(row["body"])
    profile = body["data"]["attributes"]["profile"]["data"]["attributes"]
    assert profile["first_name"] == name.strip()


def test_mapping_100k_submissions_runs_no_python_per_row(
    tk: Toolkit, monkeypatch: pytest.MonkeyPatch
) -> None:
    from klaviyo_toolkit import sample

    frame = sample.generate(100_000, seed=3)
    path = Path(tk.path).with_suffix(".jsonl")
    sample.write_camel_jsonl(frame, path)
    tk.ingest(path)
    calls: list[str | None] = []
    real = phones_module.to_e164

    def counting(raw: str | None) -> str | None:
        calls.append(raw)
        return real(raw)

    monkeypatch.setattr(phones_module, "to_e164", counting)

    mapped = map_submissions(tk.submissions())

    assert mapped.height == 100_000
    assert mapped.filter(pl.col("status") == "ok").height > 90_000
    # Only the distinct phones outside the North American fast path reach Python.
    assert len(calls) < 5_000
    assert len(calls) == len(set(calls))


def test_the_mapping_table_lists_anedots_fields() -> None:
    table = mapping_table()

    assert {
        "createdAt",
        "amount",
        "address.postalCode",
        "utmCodes.term",
        "accountName",
    } <= set(table["anedot"].to_list())
    assert "properties.Source Code" in table["klaviyo"].to_list()


def test_a_mapping_builds_only_the_shapes_asked_for(tk: Toolkit) -> None:
    tk.ingest(SAMPLE / "submissions.jsonl")

    mapped = map_submissions(tk.submissions(), shapes=("bulk_item",))

    assert "bulk_item" in mapped.columns
    assert "body" not in mapped.columns


def test_an_unknown_shape_is_refused_in_one_sentence(tk: Toolkit) -> None:
    with pytest.raises(ConfigError, match="unknown body shape 'bodies'; pick from"):
        map_submissions(tk.submissions(), shapes=("bodies",))
