from __future__ import annotations

import json

from klaviyo_toolkit.bulk import MAX_BULK_BYTES, MAX_BULK_EVENTS, bulk_batches


def _item(unique_id: str, padding: int = 0) -> bytes:
    return json.dumps(
        {"type": "event-bulk-create", "id": unique_id, "pad": "x" * padding}
    ).encode()


def test_batches_hold_at_most_a_thousand_events() -> None:
    rows = [(f"s{i}", _item(f"s{i}")) for i in range(2_500)]

    batches = list(bulk_batches(rows))

    assert [len(b.items) for b in batches] == [MAX_BULK_EVENTS, MAX_BULK_EVENTS, 500]
    assert [sid for b in batches for sid in b.submission_ids] == [
        sid for sid, _ in rows
    ]


def test_batches_stay_under_five_megabytes() -> None:
    rows = [(f"s{i}", _item(f"s{i}", padding=40_000)) for i in range(400)]

    batches = list(bulk_batches(rows))

    assert len(batches) > 1
    assert all(len(b.payload) <= MAX_BULK_BYTES for b in batches)
    assert sum(len(b.items) for b in batches) == 400


def test_a_repeated_unique_id_waits_for_another_batch() -> None:
    rows = [("a", _item("a")), ("b", _item("b")), ("a", _item("a2"))]

    batches = list(bulk_batches(rows))

    assert all(len(set(b.submission_ids)) == len(b.submission_ids) for b in batches)
    assert [b.submission_ids for b in batches] == [("a", "b"), ("a",)]


def test_a_payload_is_the_json_api_envelope() -> None:
    (batch,) = bulk_batches([("a", _item("a")), ("b", _item("b"))])

    document = json.loads(batch.payload)

    assert document["data"]["type"] == "event-bulk-create-job"
    assert [
        e["id"] for e in document["data"]["attributes"]["events-bulk-create"]["data"]
    ] == ["a", "b"]
    assert [h.submission_ids for h in batch.halves()] == [("a",), ("b",)]
