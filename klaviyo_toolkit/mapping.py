"""Submissions to Klaviyo Create Event bodies: the mapping table as data, run by polars.

The table follows Anedot's own Klaviyo integration field for field (metric name,
property keys, `unique_id` = submission id, `value` = amount x 100) and mends what
Anedot's simplified body gets wrong against the real API: the JSON:API envelope, address
parts inside `location`, phones in E.164, times in ISO 8601 with an offset, and absent
profile attributes left out rather than sent as null.

Bodies are assembled as JSON text by polars string expressions, column by column, so a
million submissions map without a Python loop per row. Each row comes out as a
single-event body (`body`) and as an item for the bulk endpoint (`bulk_item`), built
from the same fragments so that the two can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import polars as pl

from .phones import normalize_phones
from .settings import ValueUnit

__all__ = [
    "EMAIL_PATTERN",
    "LOCATION",
    "MAPPING",
    "METRIC_NAME",
    "PROPERTIES",
    "MappingRow",
    "map_submissions",
    "mapping_table",
]

METRIC_NAME = "Anedot: Submission Created"
MAX_STRING_BYTES = 100_000
"""Klaviyo refuses any string longer than 100 KB."""
EARLIEST_TIME = datetime(1990, 1, 1, tzinfo=UTC)
LATEST_AHEAD = timedelta(days=365)

EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s.]+$"


@dataclass(frozen=True)
class MappingRow:
    """One line of the mapping: where a value comes from, where it goes, and how."""

    anedot: str
    klaviyo: str
    column: str | None
    transform: str
    note: str = ""


MAPPING: tuple[MappingRow, ...] = (
    MappingRow("(constant)", "data.type", None, '"event"'),
    MappingRow(
        "createdAt",
        "attributes.time",
        "created_at",
        "ISO 8601, UTC offset, to the second",
    ),
    MappingRow(
        "amount",
        "attributes.value",
        "amount",
        "x 100 (cents, default) or as is (dollars)",
        "Leads have no amount and carry no value.",
    ),
    MappingRow(
        "(constant)", "attributes.metric.data.attributes.name", None, f'"{METRIC_NAME}"'
    ),
    MappingRow(
        "id",
        "attributes.unique_id",
        "submission_id",
        "as is",
        "Makes resends harmless.",
    ),
    MappingRow("email", "profile.email", "email", "trimmed; dropped if not an address"),
    MappingRow(
        "phone", "profile.phone_number", "phone", "E.164; dropped if not a valid number"
    ),
    MappingRow("firstName", "profile.first_name", "first_name", "as is"),
    MappingRow("lastName", "profile.last_name", "last_name", "as is"),
    MappingRow(
        "address.postalCode",
        "profile.location.zip",
        "postal_code",
        "as is",
        "Anedot sends zip at the top of profile; Klaviyo wants it in location.",
    ),
    MappingRow("address.city", "profile.location.city", "city", "as is"),
    MappingRow("address.region", "profile.location.region", "region", "as is"),
    MappingRow("address.country", "profile.location.country", "country", "as is"),
    MappingRow("utmCodes.term", "properties.utm_term", "utm_term", "as is, null kept"),
    MappingRow(
        "utmCodes.medium", "properties.utm_medium", "utm_medium", "as is, null kept"
    ),
    MappingRow(
        "utmCodes.source", "properties.utm_source", "utm_source", "as is, null kept"
    ),
    MappingRow(
        "sourceCode", "properties.Source Code", "source_code", "as is, null kept"
    ),
    MappingRow(
        "utmCodes.content", "properties.utm_content", "utm_content", "as is, null kept"
    ),
    MappingRow(
        "utmCodes.campaign",
        "properties.utm_campaign",
        "utm_campaign",
        "as is, null kept",
    ),
    MappingRow(
        "accountName", "properties.Anedot Account", "account_name", "as is, null kept"
    ),
)

PROPERTIES = (
    ("utm_term", "utm_term"),
    ("utm_medium", "utm_medium"),
    ("utm_source", "utm_source"),
    ("Source Code", "source_code"),
    ("utm_content", "utm_content"),
    ("utm_campaign", "utm_campaign"),
    ("Anedot Account", "account_name"),
)
LOCATION = (
    ("city", "city"),
    ("region", "region"),
    ("zip", "postal_code"),
    ("country", "country"),
)


def mapping_table() -> pl.DataFrame:
    """The mapping as a frame, for the README, the notebook and the TUI."""
    return pl.DataFrame(
        {
            "anedot": [row.anedot for row in MAPPING],
            "klaviyo": [row.klaviyo for row in MAPPING],
            "transform": [row.transform for row in MAPPING],
            "note": [row.note for row in MAPPING],
        }
    )


def map_submissions(
    submissions: pl.DataFrame,
    *,
    value_unit: ValueUnit = "cents",
    backfill: bool = False,
    now: datetime | None = None,
    notes: bool = True,
) -> pl.DataFrame:
    """One row per submission: `status` ('ok' or 'rejected'), `reason`, `notes`, `body`.

    `notes=False` leaves the notes empty: they are for people, and a push needs none.

    `body` is the `/api/events` request body and `bulk_item` the same event as an item
    of `/api/event-bulk-create-jobs`; both are null for a rejected row, whose `reason`
    says why it can never be sent as it is.
    """
    latest = (now or datetime.now(UTC)) + LATEST_AHEAD
    cleaned = _clean(submissions)

    profile = _object(
        [
            _member("email", pl.col("_email")),
            _member("phone_number", pl.col("_phone")),
            _member("first_name", pl.col("_first_name")),
            _member("last_name", pl.col("_last_name")),
            _nested("location", [_member(k, pl.col(f"_{c}")) for k, c in LOCATION]),
        ]
    )
    profile_json = (
        pl.lit('{"data":{"type":"profile","attributes":') + profile + pl.lit("}}")
    )

    event_members = [
        pl.lit('"properties":') + _properties(),
        _member("time", pl.col("_time")),
        _raw_member("value", _value(value_unit)),
        pl.when(pl.col("amount").is_not_null() & pl.lit(value_unit == "dollars")).then(
            pl.lit('"value_currency":"USD"')
        ),
        _member("unique_id", pl.col("submission_id")),
        pl.lit(
            f'"metric":{{"data":{{"type":"metric","attributes":{{"name":"{METRIC_NAME}"}}}}}}'
        ),
        pl.lit('"backfill":true') if backfill else None,
    ]
    event_json = pl.concat_str(
        [m for m in event_members if m is not None], separator=",", ignore_nulls=True
    )

    # The fragments are computed once, as columns, and then pasted into both shapes:
    # an eager select would otherwise build each of them once per output column.
    staged = cleaned.with_columns(
        _reason=_rejection(latest),
        _profile_json=profile_json,
        _event_json=event_json,
    )
    ok = pl.col("_reason").is_null()
    profile_part = pl.col("_profile_json")
    event_part = pl.col("_event_json")
    return staged.select(
        pl.col("submission_id"),
        pl.when(ok).then(pl.lit("ok")).otherwise(pl.lit("rejected")).alias("status"),
        pl.col("_reason").alias("reason"),
        (_notes(value_unit) if notes else pl.lit([], dtype=pl.List(pl.String))).alias(
            "notes"
        ),
        pl.when(ok)
        .then(
            pl.concat_str(
                [
                    pl.lit('{"data":{"type":"event","attributes":{'),
                    event_part,
                    pl.lit(',"profile":'),
                    profile_part,
                    pl.lit("}}}"),
                ]
            )
        )
        .alias("body"),
        pl.when(ok)
        .then(
            pl.concat_str(
                [
                    pl.lit('{"type":"event-bulk-create","attributes":{"profile":'),
                    profile_part,
                    pl.lit(',"events":{"data":[{"type":"event","attributes":{'),
                    event_part,
                    pl.lit("}}]}}}"),
                ]
            )
        )
        .alias("bulk_item"),
        pl.when(ok).then(profile_part).alias("profile_json"),
        pl.when(ok).then(pl.lit("{") + event_part + pl.lit("}")).alias("event_json"),
    )


def _clean(submissions: pl.DataFrame) -> pl.DataFrame:
    """Trim text, normalize phones and emails, format the time: what the body uses."""
    text = [
        "first_name",
        "last_name",
        "city",
        "region",
        "postal_code",
        "country",
    ]
    email = pl.col("email").str.strip_chars()
    return submissions.with_columns(
        *[
            pl.col(c).cast(pl.String).str.strip_chars().replace("", None).alias(f"_{c}")
            for c in text
        ],
        _email=pl.when(email.str.contains(EMAIL_PATTERN)).then(email),
        _email_given=email.replace("", None),
        _phone=normalize_phones(submissions.get_column("phone")),
        _time=pl.col("created_at")
        .dt.convert_time_zone("UTC")
        .dt.strftime("%Y-%m-%dT%H:%M:%S+00:00"),
    )


def _rejection(latest: datetime) -> pl.Expr:
    """Why Klaviyo would refuse the event, or null when it would take it."""
    created = pl.col("created_at")
    too_long = pl.any_horizontal(
        pl.col(c).cast(pl.String).str.len_bytes() > MAX_STRING_BYTES
        for c in (
            "_email",
            "_first_name",
            "_last_name",
            "_city",
            "_region",
            "account_name",
            "utm_source",
            "utm_medium",
            "utm_campaign",
            "utm_term",
            "utm_content",
            "source_code",
        )
    )
    return (
        pl.when(pl.col("_email").is_null() & pl.col("_phone").is_null())
        .then(_no_identifier())
        .when(created < pl.lit(EARLIEST_TIME))
        .then(
            pl.format(
                "created_at {} is before 1990, which Klaviyo refuses", pl.col("_time")
            )
        )
        .when(created > pl.lit(latest))
        .then(
            pl.format(
                "created_at {} is more than a year ahead, which Klaviyo refuses",
                pl.col("_time"),
            )
        )
        .when(too_long)
        .then(pl.lit("a field is longer than Klaviyo's 100 KB limit for one string"))
    )


def _no_identifier() -> pl.Expr:
    email = pl.col("_email_given")
    phone = pl.col("phone").str.strip_chars().replace("", None)
    detail = pl.concat_str(
        [
            pl.when(email.is_not_null()).then(
                pl.format("email '{}' is not an address", email)
            ),
            pl.when(phone.is_not_null()).then(
                pl.format("phone '{}' is not a valid number", phone)
            ),
        ],
        separator="; ",
        ignore_nulls=True,
    )
    return (
        pl.when(detail.str.len_chars() > 0)
        .then(pl.format("no email and no usable phone ({})", detail))
        .otherwise(
            pl.lit("no email and no phone: Klaviyo needs one to find the profile")
        )
    )


def _notes(value_unit: ValueUnit) -> pl.Expr:
    """What the mapping changed or dropped, in words, for the preview."""
    phone = pl.col("phone").str.strip_chars().replace("", None)
    email = pl.col("_email_given")
    has_location = pl.any_horizontal(pl.col(f"_{c}").is_not_null() for _, c in LOCATION)
    unit_note = "x 100, in cents" if value_unit == "cents" else "in dollars, USD"
    notes = [
        pl.when(
            phone.is_not_null()
            & pl.col("_phone").is_not_null()
            & (phone != pl.col("_phone"))
        ).then(pl.format("phone '{}' normalized to {}", phone, pl.col("_phone"))),
        pl.when(phone.is_not_null() & pl.col("_phone").is_null()).then(
            pl.format("phone '{}' dropped: not a valid number", phone)
        ),
        pl.when(email.is_not_null() & pl.col("_email").is_null()).then(
            pl.format("email '{}' dropped: not an address", email)
        ),
        pl.when(has_location).then(
            pl.lit("address parts sent inside profile.location")
        ),
        pl.when(pl.col("amount").is_not_null()).then(
            pl.format(
                "amount {} sent as value {} ({})",
                pl.col("amount"),
                _value(value_unit),
                pl.lit(unit_note),
            )
        ),
        pl.when(pl.col("amount").is_null()).then(
            pl.lit("no amount (a lead): no value sent")
        ),
    ]
    return pl.concat_list(notes).list.drop_nulls()


def _value(value_unit: ValueUnit) -> pl.Expr:
    dollars = pl.col("amount").cast(pl.Float64)
    return (dollars * 100).round(0) if value_unit == "cents" else dollars


def _json_string(expr: pl.Expr) -> pl.Expr:
    """A string column as JSON text, quotes and escapes included (polars escapes it)."""
    encoded = pl.struct(expr.cast(pl.String).alias("v")).struct.json_encode()
    return encoded.str.slice(5, encoded.str.len_chars() - 6)


def _member(key: str, value: pl.Expr) -> pl.Expr:
    """`"key":"value"`, or null (so that it is left out) when the value is null."""
    return pl.when(value.is_not_null()).then(pl.lit(f'"{key}":') + _json_string(value))


def _raw_member(key: str, value: pl.Expr) -> pl.Expr:
    """`"key":value` for a number, or null when the value is null."""
    return pl.when(value.is_not_null()).then(
        pl.lit(f'"{key}":') + value.cast(pl.String)
    )


def _object(members: list[pl.Expr]) -> pl.Expr:
    """`{...}` of the members that are not null."""
    return (
        pl.lit("{")
        + pl.concat_str(members, separator=",", ignore_nulls=True)
        + pl.lit("}")
    )


def _nested(key: str, members: list[pl.Expr]) -> pl.Expr:
    """`"key":{...}`, left out entirely when every member is null."""
    inner = pl.concat_str(members, separator=",", ignore_nulls=True)
    return pl.when(inner.str.len_chars() > 0).then(
        pl.lit(f'"{key}":{{') + inner + pl.lit("}")
    )


def _properties() -> pl.Expr:
    """Anedot's seven properties, nulls kept as Anedot's own integration sends them."""
    return pl.struct(
        [pl.col(column).cast(pl.String).alias(key) for key, column in PROPERTIES]
    ).struct.json_encode()
