"""Submissions to Klaviyo Create Event bodies: the mapping table as data, run by polars.

The table follows Anedot's own Klaviyo integration field for field (metric name,
property keys, `unique_id` = submission id, `value` = amount x 100) and mends what
Anedot's simplified body gets wrong against the real API: the JSON:API envelope, address
parts inside `location`, phones in E.164, times in ISO 8601 with an offset, and absent
profile attributes left out rather than sent as null.

Bodies are assembled as JSON text by polars string expressions, column by column, so a
million submissions map without a Python loop per row (`json_text` quotes the values).
Each row comes out as a single-event body (`body`) and as an item for the bulk endpoint
(`bulk_item`), built from the same fragments so that the two can never disagree; a push
asks only for the one it sends.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

import polars as pl

from .errors import ConfigError
from .json_text import escaped_columns, nested, obj, raw, string
from .phones import normalize_phones
from .settings import ValueUnit

__all__ = [
    "EMAIL_PATTERN",
    "LOCATION",
    "MAPPING",
    "METRIC_NAME",
    "PROPERTIES",
    "SHAPES",
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


ENGINE: Final = "streaming"
"""Polars' streaming engine runs each expression on every core, in morsels of rows;
the in-memory one gives a whole expression, such as a body, to one core."""
SHAPES = ("body", "bulk_item")
"""The request shapes a mapping can build: `/api/events` bodies and bulk items."""
_ESCAPED = (
    "_email",
    "_phone",
    "_first_name",
    "_last_name",
    "_city",
    "_region",
    "_postal_code",
    "_country",
    "submission_id",
    *(column for _, column in PROPERTIES),
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
    shapes: Sequence[str] = SHAPES,
) -> pl.DataFrame:
    """One row per submission: `status` ('ok' or 'rejected'), `reason`, `notes`, and
    one column per shape asked for.

    `notes=False` leaves the notes empty: they are for people, and a push needs none.

    `body` is the `/api/events` request body and `bulk_item` the same event as an item
    of `/api/event-bulk-create-jobs`; both are null for a rejected row, whose `reason`
    says why it can never be sent as it is. A push asks only for the shape it sends.
    """
    unknown = [shape for shape in shapes if shape not in SHAPES]
    if unknown:
        raise ConfigError(
            f"unknown body shape {', '.join(map(repr, unknown))}; "
            f"pick from {', '.join(SHAPES)}"
        )
    latest = (now or datetime.now(UTC)) + LATEST_AHEAD

    cleaned = escaped_columns(_clean(submissions), _ESCAPED)
    staged = cleaned.with_columns(_reason=_reasons(cleaned, latest)).lazy()

    # Both shapes paste the same fragments; the lazy plan builds each fragment once,
    # only for the shapes asked for.
    profile, event = _profile_json(), _event_json(value_unit, backfill)
    ok = pl.col("_reason").is_null()
    outputs = {
        "body": pl.concat_str(
            [
                pl.lit('{"data":{"type":"event","attributes":{'),
                event,
                pl.lit(',"profile":'),
                profile,
                pl.lit("}}}"),
            ]
        ),
        "bulk_item": pl.concat_str(
            [
                pl.lit('{"type":"event-bulk-create","attributes":{"profile":'),
                profile,
                pl.lit(',"events":{"data":[{"type":"event","attributes":{'),
                event,
                pl.lit("}}]}}}"),
            ]
        ),
    }
    return staged.select(
        pl.col("submission_id"),
        pl.when(ok).then(pl.lit("ok")).otherwise(pl.lit("rejected")).alias("status"),
        pl.col("_reason").alias("reason"),
        (_notes(value_unit) if notes else pl.lit([], dtype=pl.List(pl.String))).alias(
            "notes"
        ),
        *(pl.when(ok).then(outputs[shape]).alias(shape) for shape in shapes),
    ).collect(engine=ENGINE)


def _profile_json() -> pl.Expr:
    """The profile as `{"data":{"type":"profile","attributes":{...}}}`."""
    attributes = obj(
        [
            string("email", pl.col("_j__email")),
            string("phone_number", pl.col("_j__phone")),
            string("first_name", pl.col("_j__first_name")),
            string("last_name", pl.col("_j__last_name")),
            nested("location", [string(k, pl.col(f"_j__{c}")) for k, c in LOCATION]),
        ]
    )
    return pl.concat_str(
        [pl.lit('{"data":{"type":"profile","attributes":'), attributes, pl.lit("}}")]
    )


def _event_json(value_unit: ValueUnit, backfill: bool) -> pl.Expr:
    """The event's attributes but its profile, without the braces around them."""
    members = [
        pl.concat_str([pl.lit('"properties":'), _properties()]),
        string("time", pl.col("_time")),
        raw("value", _value(value_unit).cast(pl.String)),
        pl.when(pl.col("amount").is_not_null() & pl.lit(value_unit == "dollars")).then(
            pl.lit('"value_currency":"USD"')
        ),
        string("unique_id", pl.col("_j_submission_id")),
        pl.lit(
            f'"metric":{{"data":{{"type":"metric","attributes":{{"name":"{METRIC_NAME}"}}}}}}'
        ),
        pl.lit('"backfill":true') if backfill else None,
    ]
    return pl.concat_str(
        [m for m in members if m is not None], separator=",", ignore_nulls=True
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
    phones = normalize_phones(submissions.get_column("phone"))
    return (
        submissions.lazy()
        .with_columns(
            *[
                pl.col(c)
                .cast(pl.String)
                .str.strip_chars()
                .replace("", None)
                .alias(f"_{c}")
                for c in text
            ],
            _email=pl.when(email.str.contains(EMAIL_PATTERN)).then(email),
            _email_given=email.replace("", None),
            _phone=phones,
            _time=pl.col("created_at")
            .dt.convert_time_zone("UTC")
            .dt.strftime("%Y-%m-%dT%H:%M:%S+00:00"),
        )
        .collect(engine=ENGINE)
    )


def _reasons(cleaned: pl.DataFrame, latest: datetime) -> pl.Series:
    """Why Klaviyo would refuse each event, or null where it would take it.

    The reasons are worded only for the refused rows: formatting them over every row
    would cost more than the rest of the mapping.
    """
    refusals = _refusals(latest)
    refused = cleaned.select(
        pl.any_horizontal(condition for condition, _ in refusals)
    ).to_series()
    reasons = pl.repeat(None, cleaned.height, dtype=pl.String, eager=True)

    rows = refused.arg_true()
    if rows.len():
        # Nested from the last refusal outwards, so that the first that holds wins.
        reason = pl.lit(None, dtype=pl.String)
        for condition, why in reversed(refusals):
            reason = pl.when(condition).then(why).otherwise(reason)
        reasons = reasons.scatter(rows, cleaned[rows].select(reason).to_series())
    return reasons.alias("_reason")


def _refusals(latest: datetime) -> list[tuple[pl.Expr, pl.Expr]]:
    """(condition, reason) for each way Klaviyo would refuse an event; first wins."""
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
    return [
        (pl.col("_email").is_null() & pl.col("_phone").is_null(), _no_identifier()),
        (
            created < pl.lit(EARLIEST_TIME),
            pl.format(
                "created_at {} is before 1990, which Klaviyo refuses", pl.col("_time")
            ),
        ),
        (
            created > pl.lit(latest),
            pl.format(
                "created_at {} is more than a year ahead, which Klaviyo refuses",
                pl.col("_time"),
            ),
        ),
        (
            too_long,
            pl.lit("a field is longer than Klaviyo's 100 KB limit for one string"),
        ),
    ]


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


def _properties() -> pl.Expr:
    """Anedot's seven properties, nulls kept as Anedot's own integration sends them."""
    return obj(
        [
            string(key, pl.col(f"_j_{column}")).fill_null(pl.lit(f'"{key}":null'))
            for key, column in PROPERTIES
        ]
    )
