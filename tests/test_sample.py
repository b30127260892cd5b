"""The sample generator: deterministic, realistic, and the same facts in both shapes."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import phonenumbers
import polars as pl
import pytest

from klaviyo_toolkit import sample

SAMPLE_DIR = Path(__file__).resolve().parents[1] / "data" / "sample"
SAMPLE_FILES = {
    "submissions.jsonl",
    "webhooks.jsonl",
    "submissions.json",
    "pages.csv",
    "bad_rows.jsonl",
    "bad_rows.expected.json",
    "README.md",
}
ANNIE_DOT_CAMEL = {
    "id": "e1c0b789-81c5-489c-959f-e30ca6fa4c9a",
    "createdAt": "2023-05-15T16:37:30.844Z",
    "kind": "donation",
    "amount": "2.00",
    "status": "completed",
    "recurring": False,
    "frequency": "once",
    "actionPageId": "5c8ab43a-99dd-437d-b39a-673d290bee43",
    "actionPageName": "General Donation",
    "accountUid": "24b9b6e8b224754428de6",
    "accountName": "The Charitable Foundation",
    "email": "annie.dot@example.com",
    "firstName": "Annie",
    "lastName": "Dot",
    "phone": "1231231234",
    "address": {
        "line1": None,
        "line2": None,
        "city": "New Orleans",
        "region": "LA",
        "postalCode": "70112",
        "country": "US",
    },
    "utmCodes": {
        "source": None,
        "medium": None,
        "campaign": None,
        "term": None,
        "content": None,
    },
    "sourceCode": None,
    "customFields": {},
}


@pytest.fixture(scope="module")
def frame() -> pl.DataFrame:
    return sample.generate(sample.SAMPLE_SIZE)


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("sample")
    sample.write_sample(directory)
    return directory


@pytest.fixture(scope="module")
def camel_rows(written: Path) -> list[dict[str, Any]]:
    return _read_jsonl(written / "submissions.jsonl")


@pytest.fixture(scope="module")
def webhook_bodies(written: Path) -> list[dict[str, Any]]:
    return _read_jsonl(written / "webhooks.jsonl")


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _payload(body: dict[str, Any]) -> dict[str, Any]:
    payload: dict[str, Any] = body.get("payload", body)
    return payload


def _is_valid_phone(text: str | None) -> bool:
    if text is None:
        return False
    try:
        number = phonenumbers.parse(text, "US")
    except phonenumbers.NumberParseException:
        return False
    return bool(phonenumbers.is_valid_number(number))


def _camel_from_webhook(body: dict[str, Any]) -> dict[str, Any]:
    """What a webhook body says, written the camelCase way, to compare with the row."""
    p = _payload(body)
    iso = p.get("created_at_iso8601")
    if iso is None:
        seconds = datetime.strptime(p["created_at"], "%Y-%m-%d %H:%M:%S UTC")
        iso = seconds.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    row: dict[str, Any] = {
        "id": p["submission_id"],
        "createdAt": iso,
        "kind": "donation" if body["event"] == "donation_completed" else "lead",
        "amount": p.get("event_amount"),
        "status": p["status"],
        "recurring": {"true": True, "false": False}[p["recurring"]],
        "frequency": p.get("frequency"),
        "actionPageId": p["action_page_id"],
        "actionPageName": p["action_page_name"],
        "team": p.get("team"),
        "accountUid": p.get("account_uid"),
        "accountName": p["account_name"],
        "email": p.get("email"),
        "firstName": p.get("first_name"),
        "lastName": p.get("last_name"),
        "phone": p.get("phone"),
        "address": {
            "line1": p.get("address_line_1"),
            "line2": p.get("address_line_2"),
            "city": p.get("address_city"),
            "region": p.get("address_region"),
            "postalCode": p.get("address_postal_code"),
            "country": p.get("address_country"),
        },
        "utmCodes": {
            part: p.get(f"utm_{part}")
            for part in ("source", "medium", "campaign", "term", "content")
        },
        "sourceCode": p.get("source_code"),
        "customFields": p["custom_field_responses"],
    }
    return row


def _camel_with_all_keys(row: dict[str, Any]) -> dict[str, Any]:
    return {"team": None, "accountUid": None, **row}


# Determinism


def test_the_same_seed_writes_the_same_bytes(tmp_path: Path) -> None:
    for name in ("a", "b"):
        frame = sample.generate(500, seed=11)
        sample.write_camel_jsonl(frame, tmp_path / f"{name}.jsonl")
        sample.write_webhook_jsonl(frame, tmp_path / f"{name}.webhooks.jsonl")

    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()
    first = (tmp_path / "a.webhooks.jsonl").read_bytes()
    assert first == (tmp_path / "b.webhooks.jsonl").read_bytes()


def test_another_seed_writes_other_submissions(tmp_path: Path) -> None:
    sample.write_camel_jsonl(sample.generate(500, seed=11), tmp_path / "a.jsonl")
    sample.write_camel_jsonl(sample.generate(500, seed=12), tmp_path / "b.jsonl")

    assert (tmp_path / "a.jsonl").read_bytes() != (tmp_path / "b.jsonl").read_bytes()


def test_the_frame_has_the_documented_columns(frame: pl.DataFrame) -> None:
    assert frame.schema == sample.COLUMNS
    assert frame.height == sample.SAMPLE_SIZE
    assert frame["submission_id"].n_unique() == frame.height


# What the data contains


def test_about_a_fifth_are_leads_from_lead_pages(frame: pl.DataFrame) -> None:
    lead_pages = {page.id for page in sample.PAGES if page.kind == "lead"}
    leads = frame.filter(pl.col("kind") == "lead")

    assert 0.15 < leads.height / frame.height < 0.25
    assert set(leads["page_id"]) == lead_pages
    assert leads["amount"].null_count() == leads.height
    assert set(leads["status"]) == {"completed"}


def test_every_page_and_both_accounts_appear(frame: pl.DataFrame) -> None:
    assert set(frame["page_id"]) == {page.id for page in sample.PAGES}
    assert set(frame["account_name"]) == {account.name for account in sample.ACCOUNTS}
    assert 8 <= len(sample.PAGES) <= 12


def test_pages_carry_two_teams_and_a_few_have_none() -> None:
    teams = Counter(page.team for page in sample.PAGES)

    assert set(teams) == {"Digital", "Field", None}
    assert 2 <= teams[None] <= 4


def test_a_row_names_its_pages_team_only_sometimes(frame: pl.DataFrame) -> None:
    with_team = frame.filter(pl.col("team").is_not_null())

    assert (with_team["team"] == with_team["page_team"]).all()
    assert set(with_team["team"]) == {"Digital", "Field"}
    assert 0 < with_team.height < 0.3 * frame.height


def test_recurring_gifts_have_a_frequency_and_a_commitment(
    frame: pl.DataFrame,
) -> None:
    recurring = frame.filter(pl.col("recurring"))
    one_off = frame.filter(~pl.col("recurring") & (pl.col("kind") == "donation"))

    assert set(recurring["frequency"]) == {"monthly", "weekly", "yearly"}
    assert recurring["commitment_uid"].null_count() == 0
    assert set(one_off["frequency"]) == {"once"}
    assert set(frame.filter(pl.col("kind") == "lead")["frequency"]) == {None}


def test_payment_statuses_are_mostly_completed(frame: pl.DataFrame) -> None:
    statuses = Counter(frame["status"])

    assert set(statuses) == {"completed", "pending", "failed", "refunded"}
    assert statuses["completed"] > 0.85 * frame.height


def test_times_span_about_90_days_of_2026_in_order(frame: pl.DataFrame) -> None:
    times: list[datetime] = frame["created_at"].slice(1).to_list()
    start = datetime(2026, 1, 5, tzinfo=UTC)

    assert times == sorted(times)
    assert start <= times[0] and times[-1] < start + timedelta(days=90)
    assert times[-1] - times[0] > timedelta(days=80)


def test_amounts_stay_in_range_and_cluster_on_round_gifts(
    frame: pl.DataFrame,
) -> None:
    amounts = frame.slice(1).filter(pl.col("kind") == "donation")["amount"].to_list()
    common = {amount for amount, _ in Counter(amounts).most_common(5)}

    assert min(amounts) >= Decimal("5.00")
    assert max(amounts) == Decimal("2800.00")
    assert common >= {Decimal("10.00"), Decimal("25.00"), Decimal("50.00")}
    assert any(amount % 1 for amount in amounts)


def test_many_rows_have_no_utm_codes_and_some_have_source_codes(
    frame: pl.DataFrame,
) -> None:
    untagged = frame.filter(pl.col("utm_source").is_null()).height
    tagged = frame.filter(pl.col("utm_source").is_not_null())

    assert 0.4 * frame.height < untagged < 0.7 * frame.height
    assert set(tagged["utm_source"]) >= {"facebook", "google", "newsletter"}
    assert 0 < frame["source_code"].drop_nulls().len() < 0.4 * frame.height


def test_phones_come_in_every_form(frame: pl.DataFrame) -> None:
    kinds = Counter(frame["phone_kind"])
    phones = frame["phone"].drop_nulls().to_list()

    assert set(kinds) == set(sample.PHONE_KINDS)
    assert kinds.most_common(1)[0][0] == "us_10"
    assert any(phone.startswith("(") for phone in phones)
    assert any("." in phone for phone in phones)
    assert any(phone.startswith("+44 ") for phone in phones)
    assert {"123", "555-CALL-NOW", "1231231234"} <= set(phones)


@pytest.mark.parametrize("kind", ["us_10", "us_11", "formatted", "international"])
def test_phones_meant_to_be_real_are_valid_numbers(
    frame: pl.DataFrame, kind: str
) -> None:
    phones = frame.filter(pl.col("phone_kind") == kind)["phone"].to_list()

    assert phones
    assert all(_is_valid_phone(phone) for phone in phones)


def test_junk_phones_are_not_valid_numbers(frame: pl.DataFrame) -> None:
    junk = frame.filter(pl.col("phone_kind") == "junk")["phone"].to_list()

    assert junk
    assert not any(_is_valid_phone(phone) for phone in junk)


def test_a_few_donors_have_no_email_and_a_couple_nothing_to_reach(
    frame: pl.DataFrame,
) -> None:
    no_email = frame.filter(pl.col("email").is_null())
    reachable_by_phone = [_is_valid_phone(phone) for phone in no_email["phone"]]

    assert 0 < no_email.height < 0.06 * frame.height
    assert any(reachable_by_phone)
    assert 2 <= reachable_by_phone.count(False) <= no_email.height


def test_repeat_donors_keep_their_details_across_submissions(
    frame: pl.DataFrame,
) -> None:
    details = ["email", "first_name", "last_name", "phone", "postal_code"]
    repeats = frame.group_by("donor_id").agg(
        pl.len(), pl.col("submission_id").n_unique(), pl.col(details).n_unique()
    )
    repeated = repeats.filter(pl.col("len") >= 3)

    assert 5 <= repeated.height < 0.05 * frame.height
    assert (repeated["submission_id"] == repeated["len"]).all()
    for column in details:
        assert (repeated[column] == 1).all()


def test_a_few_percent_live_outside_the_us(frame: pl.DataFrame) -> None:
    abroad = frame.filter(pl.col("country") != "US")

    assert set(abroad["country"]) == {"CA", "GB", "MX"}
    assert 0.01 * frame.height < abroad.height < 0.1 * frame.height


def test_names_carry_accents_and_apostrophes(frame: pl.DataFrame) -> None:
    names = set(frame["first_name"]) | set(frame["last_name"])

    assert any("'" in name for name in names)
    assert any(not name.isascii() for name in names)
    assert all(email.isascii() for email in frame["email"].drop_nulls())


# Annie Dot


def test_annie_dot_is_the_first_camel_row_exactly(
    camel_rows: list[dict[str, Any]],
) -> None:
    assert camel_rows[0] == ANNIE_DOT_CAMEL


def test_annie_dot_webhook_says_the_same(
    webhook_bodies: list[dict[str, Any]],
) -> None:
    annie = webhook_bodies[0]

    assert annie["event"] == "donation_completed"
    assert _camel_with_all_keys(ANNIE_DOT_CAMEL) == _camel_from_webhook(annie)
    assert _payload(annie)["created_at"] == "2023-05-15 16:37:30 UTC"


def test_annie_dot_appears_once(frame: pl.DataFrame) -> None:
    annie = frame.filter(pl.col("submission_id") == sample.ANNIE_DOT_ID)

    assert annie.height == 1
    assert frame.row(0, named=True)["submission_id"] == sample.ANNIE_DOT_ID


# The two shapes


def test_both_shapes_hold_the_same_ids_in_the_same_order(
    camel_rows: list[dict[str, Any]], webhook_bodies: list[dict[str, Any]]
) -> None:
    camel_ids = [row["id"] for row in camel_rows]
    webhook_ids = [_payload(body)["submission_id"] for body in webhook_bodies]

    assert camel_ids == webhook_ids
    assert len(set(camel_ids)) == sample.SAMPLE_SIZE


def test_both_shapes_carry_the_same_facts(
    camel_rows: list[dict[str, Any]], webhook_bodies: list[dict[str, Any]]
) -> None:
    for row, body in zip(camel_rows, webhook_bodies, strict=True):
        assert _camel_with_all_keys(row) == _camel_from_webhook(body), row["id"]


def test_webhooks_mix_nested_and_flat_bodies(
    webhook_bodies: list[dict[str, Any]],
) -> None:
    flat = sum("payload" not in body for body in webhook_bodies)

    assert 0.2 * len(webhook_bodies) < flat < 0.4 * len(webhook_bodies)


def test_webhook_events_follow_the_kind(
    camel_rows: list[dict[str, Any]], webhook_bodies: list[dict[str, Any]]
) -> None:
    events = {
        (row["kind"], body["event"])
        for row, body in zip(camel_rows, webhook_bodies, strict=True)
    }

    assert events == {
        ("donation", "donation_completed"),
        ("lead", "submission_created"),
    }


def test_some_webhooks_lack_account_uid_or_iso_time(
    webhook_bodies: list[dict[str, Any]],
) -> None:
    payloads = [_payload(body) for body in webhook_bodies]
    without_uid = sum("account_uid" not in p for p in payloads)
    without_iso = sum("created_at_iso8601" not in p for p in payloads)

    assert 0 < without_uid < 0.1 * len(payloads)
    assert 0 < without_iso < 0.1 * len(payloads)


def test_webhook_donations_carry_money_and_a_donation_object(
    webhook_bodies: list[dict[str, Any]],
) -> None:
    for body in webhook_bodies:
        payload = _payload(body)
        if body["event"] != "donation_completed":
            assert "donation" not in payload and "event_amount" not in payload
            continue
        fee = Decimal(payload["donation"]["fees"]["anedot_fees"]["amount"])
        assert len(payload["donation"]["id"]) == 21
        assert payload["amount_in_dollars"] == payload["event_amount"]
        assert Decimal(payload["net_amount"]) + fee == Decimal(payload["event_amount"])
        assert payload["recurring"] in ("true", "false")


# The other files


def test_the_json_array_holds_the_first_50_camel_rows(
    written: Path, camel_rows: list[dict[str, Any]]
) -> None:
    array = json.loads((written / "submissions.json").read_text(encoding="utf-8"))

    assert array == camel_rows[:50]


def test_pages_csv_lists_every_page_with_its_team(written: Path) -> None:
    pages = pl.read_csv(written / "pages.csv")

    assert pages.columns == ["page_id", "name", "account", "team"]
    assert pages["page_id"].to_list() == [page.id for page in sample.PAGES]
    assert pages["team"].to_list() == [page.team for page in sample.PAGES]


def test_bad_rows_have_one_bad_line_of_each_kind(written: Path) -> None:
    expected = json.loads((written / "bad_rows.expected.json").read_text())
    reasons = Counter(line.get("reason") for line in expected["lines"])

    assert expected["counts"] == {
        "stored": 20,
        "duplicate": 1,
        "quarantined": 9,
        "skipped": 1,
    }
    assert reasons == {
        None: 20,
        "invalid_json": 1,
        "empty_line": 1,
        "no_id": 1,
        "bad_id": 1,
        "bad_created_at": 2,
        "bad_amount": 1,
        "negative_amount": 1,
        "not_an_object": 2,
        "duplicate_id": 1,
    }


def test_bad_rows_lines_are_what_the_expectations_say(written: Path) -> None:
    lines = (written / "bad_rows.jsonl").read_text(encoding="utf-8").split("\n")
    expected = json.loads((written / "bad_rows.expected.json").read_text())["lines"]
    stored: list[str] = []

    assert lines.pop() == ""
    assert [entry["line"] for entry in expected] == list(range(1, len(lines) + 1))
    for text, entry in zip(lines, expected, strict=True):
        _check_bad_line(text, entry, stored)
    assert len(stored) == len(set(stored)) == 20


def _check_bad_line(text: str, entry: dict[str, Any], stored: list[str]) -> None:
    reason = entry.get("reason")
    if reason == "empty_line":
        assert text == ""
        return
    if reason == "invalid_json":
        with pytest.raises(json.JSONDecodeError):
            json.loads(text)
        return
    row = json.loads(text)
    if reason == "not_an_object":
        assert not isinstance(row, dict)
    elif reason == "no_id":
        assert "id" not in row
    elif reason == "bad_id":
        assert not isinstance(row["id"], str)
    elif reason == "bad_created_at":
        with pytest.raises(ValueError):
            datetime.fromisoformat(row["createdAt"])
    elif reason == "bad_amount":
        with pytest.raises(InvalidOperation):
            Decimal(row["amount"])
    elif reason == "negative_amount":
        assert Decimal(row["amount"]) < 0
    elif reason == "duplicate_id":
        assert row["id"] == entry["id"] and row["id"] in stored
    else:
        assert entry["outcome"] == "stored" and row["id"] == entry["id"]
        datetime.fromisoformat(row["createdAt"])
        stored.append(row["id"])


def test_bad_rows_never_reuse_the_samples_ids(
    written: Path, camel_rows: list[dict[str, Any]]
) -> None:
    expected = json.loads((written / "bad_rows.expected.json").read_text())
    bad_ids = {entry["id"] for entry in expected["lines"] if "id" in entry}

    assert bad_ids.isdisjoint(row["id"] for row in camel_rows)


# Scale, the committed files, the command


def test_a_hundred_thousand_rows_generate_and_write(tmp_path: Path) -> None:
    frame = sample.generate(100_000, seed=3)
    path = sample.write_camel_jsonl(frame, tmp_path / "big.jsonl")

    with path.open(encoding="utf-8") as lines:
        assert sum(1 for _ in lines) == 100_000


def test_the_committed_sample_is_what_the_generator_writes_now(
    written: Path,
) -> None:
    assert {path.name for path in SAMPLE_DIR.iterdir()} == SAMPLE_FILES
    for name in sorted(SAMPLE_FILES):
        assert (SAMPLE_DIR / name).read_bytes() == (written / name).read_bytes(), name


def test_the_committed_sample_stays_small() -> None:
    size = sum(path.stat().st_size for path in SAMPLE_DIR.iterdir())

    assert size < 4_000_000


def test_the_command_writes_one_shape_at_any_size(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = sample.main([str(tmp_path), "--n", "300", "--shape", "webhook"])

    assert code == 0
    assert len(_read_jsonl(tmp_path / "webhooks.jsonl")) == 300
    assert "webhooks.jsonl" in capsys.readouterr().out


def test_the_command_writes_the_whole_sample_by_default(tmp_path: Path) -> None:
    assert sample.main([str(tmp_path), "--n", "120", "--seed", "5"]) == 0

    assert {path.name for path in tmp_path.iterdir()} == SAMPLE_FILES


@pytest.mark.parametrize(
    "arguments",
    [{"n": 0}, {"n": 10, "lead_fraction": 1.5}, {"n": 10, "days": 0}],
)
def test_generate_refuses_impossible_arguments(arguments: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        sample.generate(**arguments)


def test_small_sets_still_work() -> None:
    assert sample.generate(1).height == 1
    assert sample.generate(1, include_annie=False).height == 1
    assert sample.generate(30, lead_fraction=0.0)["kind"].to_list().count("lead") == 0
