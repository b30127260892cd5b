"""Anedot's two input shapes, normalized to one table by DuckDB SQL.

Anedot speaks of a submission in two ways:

- the camelCase "submission raw data" that its Klaviyo mapping table is written against
  (`id`, `createdAt`, `amount`, `address.postalCode`, `utmCodes.source`, `accountName`,
  ...);
- the snake_case webhook envelope `{"event": ..., "payload": {...}}`, sometimes with the
  payload's fields flat beside `event` (`submission_id`, `created_at`, `event_amount`,
  `address_postal_code`, `utm_source`, `account_name`, ...).

Both become the columns of the `submissions` table. The work is one SQL statement over a
table of raw lines, so a million lines are normalized by DuckDB's JSON functions rather
than by a Python loop, and every line comes out either as a row or with the reason it
cannot be one (`reason`, `field`), which the ingest step sends to quarantine.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["NORMALIZED_COLUMNS", "REASONS", "normalize_sql"]

MAX_AMOUNT = 10_000_000
"""No single gift is larger; a bigger number is a typo or junk, not a donation."""

# (column, camelCase path, snake_case path): paths are read from the payload object.
_TEXT_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("status", "$.status", "$.status"),
    ("action_page_id", "$.actionPageId", "$.action_page_id"),
    ("action_page_name", "$.actionPageName", "$.action_page_name"),
    ("team", "$.team", "$.team"),
    ("account_uid", "$.accountUid", "$.account_uid"),
    ("account_name", "$.accountName", "$.account_name"),
    ("frequency", "$.frequency", "$.frequency"),
    ("email", "$.email", "$.email"),
    ("first_name", "$.firstName", "$.first_name"),
    ("last_name", "$.lastName", "$.last_name"),
    ("phone", "$.phone", "$.phone"),
    ("address_line_1", "$.address.line1", "$.address_line_1"),
    ("address_line_2", "$.address.line2", "$.address_line_2"),
    ("city", "$.address.city", "$.address_city"),
    ("region", "$.address.region", "$.address_region"),
    ("postal_code", "$.address.postalCode", "$.address_postal_code"),
    ("country", "$.address.country", "$.address_country"),
    ("utm_source", "$.utmCodes.source", "$.utm_source"),
    ("utm_medium", "$.utmCodes.medium", "$.utm_medium"),
    ("utm_campaign", "$.utmCodes.campaign", "$.utm_campaign"),
    ("utm_term", "$.utmCodes.term", "$.utm_term"),
    ("utm_content", "$.utmCodes.content", "$.utm_content"),
    ("source_code", "$.sourceCode", "$.source_code"),
)

NORMALIZED_COLUMNS: tuple[str, ...] = (
    "submission_id",
    "kind",
    "event",
    "status",
    "action_page_id",
    "action_page_name",
    "team",
    "account_uid",
    "account_name",
    "created_at",
    "amount",
    "recurring",
    "frequency",
    "email",
    "first_name",
    "last_name",
    "phone",
    "address_line_1",
    "address_line_2",
    "city",
    "region",
    "postal_code",
    "country",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "source_code",
    "custom_fields",
    "raw",
    "source",
    "source_line",
)

REASONS: dict[str, str] = {
    "invalid_json": "the line is not valid JSON",
    "invalid_utf8": "the line is not valid UTF-8 text",
    "not_an_object": "the line is JSON but not an object",
    "no_id": "there is no submission id",
    "bad_id": "the submission id is not a string",
    "no_created_at": "there is no creation time",
    "bad_created_at": "the creation time is not a date and time",
    "bad_amount": "the amount is not a decimal number",
    "negative_amount": "the amount is negative",
    "absurd_amount": f"the amount is over {MAX_AMOUNT:,}",
    "bad_kind": "the kind is neither 'donation' nor 'lead'",
}


# Values read beside the text fields, with the paths of each shape; a snake path of None
# means the webhook shape has no second place for it.
_EXTRA_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("created_text", "$.createdAt", "$.created_at_iso8601"),
    ("created_fallback", "$.createdAt", "$.created_at"),
    ("amount_text", "$.amount", "$.event_amount"),
    ("amount_fallback", "$.amount", "$.amount_in_dollars"),
    ("kind_text", "$.kind", "$.kind"),
    ("recurring_text", "$.recurring", "$.recurring"),
)
_ALL_FIELDS = _TEXT_FIELDS + _EXTRA_FIELDS


# Read as JSON text rather than as a string: their type decides the row's fate.
_JSON_FIELDS = (
    "$.id",
    "$.customFields",
    "$.submission_id",
    "$.custom_field_responses",
    "$.event",
    "$.payload",
)


def _structure() -> str:
    """The `json_transform` structure of both shapes' fields, as one JSON object.

    The two shapes share no key with different meanings (`status`, `email`, ... are
    the same value in both), so one transform reads either, and the SQL picks each
    field from the shape the row is in.
    """
    structure: dict[str, Any] = {}
    typed = [(path, "VARCHAR") for field in _ALL_FIELDS for path in field[1:]]
    for path, kind in [*typed, *((path, "JSON") for path in _JSON_FIELDS)]:
        *parents, leaf = path.removeprefix("$.").split(".")
        level = structure
        for key in parents:
            level = level.setdefault(key, {})
        if level.setdefault(leaf, kind) != kind:
            raise ValueError(f"{path} is read as two different things")
    return json.dumps(structure).replace("'", "''")


def _access(path: str) -> str:
    """SQL for the value at a `$.a.b` path of the transformed struct `s`."""
    return "s" + "".join(f"['{key}']" for key in path.removeprefix("$.").split("."))


def _picked(column: str, camel: str, snake: str) -> str:
    return (
        f"CASE WHEN is_webhook THEN {_access(snake)} ELSE {_access(camel)} END "
        f"AS v_{column}"
    )


def _value(column: str) -> str:
    """A field's text, trimmed, empty read as absent. trim() costs about 200 ns a
    call and a row has thirty values, nearly all starting and ending with a printable
    ASCII character it would leave alone; only the others go through it."""
    value = f"v_{column}"
    return (
        f"CASE WHEN ord({value}) BETWEEN 33 AND 126 "
        f"AND ord({value}[-1]) BETWEEN 33 AND 126 THEN {value} "
        f"ELSE nullif(trim({value}), '') END"
    )


def normalize_sql(lines: str) -> str:
    """SQL over the relation `lines(source, line, raw_bytes)` giving one row per line.

    Each row has the normalized columns, plus `reason` and `field` (NULL when the row is
    good). Blank lines never reach it: they are not submissions and not errors, and
    the reader drops them far more cheaply than SQL's trim() could. Every
    field is read by one `json_transform` of the row into a struct of both shapes.
    """
    text_columns = ",\n        ".join(
        f"{_value(column)} AS {column}" for column, _, _ in _TEXT_FIELDS
    )
    picked = ",\n               ".join(_picked(*field) for field in _ALL_FIELDS)
    return f"""
    WITH decoded AS (
        SELECT source, line, try(decode(raw_bytes)) AS text
        FROM {lines}
    ), parsed AS (
        SELECT source, line, text, try_cast(text AS JSON) AS j
        FROM decoded
    ), top AS (
        SELECT *, json_transform(j, '{_structure()}') AS outer_struct
        FROM parsed
    ), extracted AS (
        SELECT source, line, text, j,
               regexp_matches(j::VARCHAR, '^\\s*\\{{') AS is_object,
               (outer_struct['event'] IS NOT NULL
                OR outer_struct['payload'] IS NOT NULL
                OR outer_struct['submission_id'] IS NOT NULL) AS is_webhook,
               outer_struct['event'] AS event_json,
               CASE WHEN left(outer_struct['payload']::VARCHAR, 1) = '{{'
                    THEN json_transform(outer_struct['payload'], '{_structure()}')
                    ELSE outer_struct END AS s
        FROM top
    ), picked AS (
        SELECT source, line, text, j, is_object, is_webhook, event_json,
               CASE WHEN is_webhook THEN s['submission_id'] ELSE s['id'] END
                   AS id_json,
               CASE WHEN is_webhook THEN s['custom_field_responses']
                    ELSE s['customFields'] END AS custom_fields,
               {picked}
        FROM extracted
    ), fields AS (
        SELECT source, line, text, j, is_object, is_webhook, id_json, custom_fields,
        CASE WHEN is_webhook THEN nullif(trim(event_json->>'$'), '') END AS event,
        coalesce({_value("created_text")}, {_value("created_fallback")})
            AS created_text,
        coalesce({_value("amount_text")}, {_value("amount_fallback")}) AS amount_text,
        lower({_value("kind_text")}) AS kind_text,
        lower(v_recurring_text) AS recurring_text,
        {text_columns}
        FROM picked
    ), typed AS (
        SELECT *,
               CASE WHEN json_type(id_json) = 'VARCHAR'
                    THEN nullif(trim(id_json->>'$'), '') END AS submission_id,
               try_cast(created_text AS TIMESTAMPTZ) AS created_at,
               try_cast(amount_text AS DECIMAL(18, 2)) AS amount,
               CASE WHEN recurring_text IN ('true', '1', 'yes') THEN true
                    WHEN recurring_text IN ('false', '0', 'no') THEN false END AS
                    recurring
        FROM fields
    ), judged AS (
        SELECT *,
               coalesce(kind_text, CASE
                   WHEN event LIKE 'donation%' OR event LIKE 'commitment%' THEN
                   'donation'
                   WHEN amount_text IS NOT NULL THEN 'donation'
                   ELSE 'lead' END) AS kind,
               CASE
                   WHEN text IS NULL THEN 'invalid_utf8'
                   WHEN j IS NULL THEN 'invalid_json'
                   WHEN NOT is_object THEN 'not_an_object'
                   WHEN id_json IS NULL OR json_type(id_json) = 'NULL' THEN 'no_id'
                   WHEN submission_id IS NULL THEN
                        CASE WHEN json_type(id_json) = 'VARCHAR' THEN 'no_id'
                             ELSE 'bad_id' END
                   WHEN created_text IS NULL THEN 'no_created_at'
                   WHEN created_at IS NULL THEN 'bad_created_at'
                   WHEN amount_text IS NOT NULL AND amount IS NULL THEN 'bad_amount'
                   WHEN amount < 0 THEN 'negative_amount'
                   WHEN amount > {MAX_AMOUNT} THEN 'absurd_amount'
                   WHEN kind_text IS NOT NULL AND kind_text NOT IN ('donation', 'lead')
                        THEN 'bad_kind'
               END AS reason
        FROM typed
    )
    SELECT
        submission_id, kind, event, status, action_page_id, action_page_name, team,
        account_uid, account_name, created_at, amount, recurring, frequency, email,
        first_name, last_name, phone, address_line_1, address_line_2, city, region,
        postal_code, country, utm_source, utm_medium, utm_campaign, utm_term,
        utm_content, source_code,
        CASE WHEN json_type(custom_fields) = 'OBJECT' THEN custom_fields END
            AS custom_fields,
        j AS raw, source, line AS source_line, reason,
        CASE reason
            WHEN 'no_id' THEN CASE WHEN is_webhook THEN 'submission_id' ELSE 'id' END
            WHEN 'bad_id' THEN CASE WHEN is_webhook THEN 'submission_id' ELSE 'id' END
            WHEN 'no_created_at' THEN CASE WHEN is_webhook THEN 'created_at'
                                          ELSE 'createdAt' END
            WHEN 'bad_created_at' THEN CASE WHEN is_webhook THEN 'created_at'
                                           ELSE 'createdAt' END
            WHEN 'bad_amount' THEN CASE WHEN is_webhook THEN 'event_amount'
                                       ELSE 'amount' END
            WHEN 'negative_amount' THEN 'amount'
            WHEN 'absurd_amount' THEN 'amount'
            WHEN 'bad_kind' THEN 'kind'
        END AS field,
        CASE WHEN reason IN ('bad_created_at', 'bad_amount', 'negative_amount',
                             'absurd_amount', 'bad_kind')
             THEN coalesce(CASE reason WHEN 'bad_created_at' THEN created_text
                                       WHEN 'bad_kind' THEN kind_text
                                       ELSE amount_text END, '') END AS bad_value,
        CASE WHEN reason IS NOT NULL THEN text END AS text
    FROM judged
    """
