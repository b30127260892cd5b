"""The neutral frame in Anedot's two shapes: camelCase rows and webhook bodies.

Both are built as JSON text by polars expressions over the same frame, so the two files
carry the same facts for the same submission ids.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from .sample_pools import FLAT_FRACTION, PAGES, pool

_ISO_MILLIS = "%Y-%m-%dT%H:%M:%S%.3fZ"
_UTC_SECONDS = "%Y-%m-%d %H:%M:%S UTC"


def write_camel_jsonl(frame: pl.DataFrame, path: str | Path) -> Path:
    """Write `frame` as camelCase "submission raw data", one JSON object per line."""
    return _write_lines(render(frame, camel_object()), Path(path))


def write_camel_json(frame: pl.DataFrame, path: str | Path) -> Path:
    """Write `frame` as one JSON array of camelCase objects, one object per line."""
    lines = render(frame, camel_object()).to_list()
    text = "[\n" + ",\n".join(lines) + "\n]\n" if lines else "[]\n"

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def write_webhook_jsonl(
    frame: pl.DataFrame, path: str | Path, *, flat_fraction: float = FLAT_FRACTION
) -> Path:
    """Write `frame` as webhook bodies, one per line.

    Rows whose `webhook_draw` is below `flat_fraction` put the payload's fields flat
    beside `event`, as some real deliveries do; the others nest them under `payload`.
    """
    if not 0.0 <= flat_fraction <= 1.0:
        raise ValueError("flat_fraction must be between 0 and 1")
    return _write_lines(render(frame, _webhook_body(flat_fraction)), Path(path))


def write_pages(path: str | Path) -> Path:
    """Write the Action Pages as `page_id,name,account,team` CSV (account by name)."""
    pages = pl.DataFrame(
        {
            "page_id": [p.id for p in PAGES],
            "name": [p.name for p in PAGES],
            "account": [p.account.name for p in PAGES],
            "team": [p.team for p in PAGES],
        }
    )

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pages.write_csv(path)
    return path


def render(frame: pl.DataFrame, body: pl.Expr) -> pl.Series:
    """One JSON text per row. Lazy, so shared parts of the expression run once."""
    return frame.lazy().select(body.alias("line")).collect().to_series()


def _write_lines(lines: pl.Series, path: Path) -> Path:
    """Write one string per line; the CSV writer, never quoting, does it fast."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines.to_frame().write_csv(path, include_header=False, quote_style="never")
    return path


def camel_object() -> pl.Expr:
    """The camelCase raw-data object, keys in the mapping table's order."""
    col = pl.col
    fields = pl.struct(
        id=col("submission_id"),
        createdAt=col("created_at").dt.strftime(_ISO_MILLIS),
        kind=col("kind"),
        amount=col("amount"),
        status=col("status"),
        recurring=col("recurring"),
        frequency=col("frequency"),
        actionPageId=col("page_id"),
        actionPageName=col("page_name"),
        team=col("team"),
        accountUid=col("account_uid"),
        accountName=col("account_name"),
        email=col("email"),
        firstName=col("first_name"),
        lastName=col("last_name"),
        phone=col("phone"),
        address=pl.struct(
            line1=col("address_line_1"),
            line2=col("address_line_2"),
            city=col("city"),
            region=col("region"),
            postalCode=col("postal_code"),
            country=col("country"),
        ),
        utmCodes=pl.struct(
            source=col("utm_source"),
            medium=col("utm_medium"),
            campaign=col("utm_campaign"),
            term=col("utm_term"),
            content=col("utm_content"),
        ),
        sourceCode=col("source_code"),
    )
    # Only these two keys are left out when empty; every other null stays, as in the
    # integration page's example. Inside a JSON string a quote is always escaped, so
    # the patterns can only match a member.
    text = fields.struct.json_encode()
    text = text.str.replace(',"team":null', "", literal=True)
    text = text.str.replace(',"accountUid":null', "", literal=True)
    return _with_raw_member(text, "customFields", "custom_fields")


# Payload keys in the order Anedot documents them; a few differ from their column.
_PAYLOAD_KEYS = pool("""first_name|middle_name|last_name|email|phone|address_line_1|
address_line_2|address_city|address_region|address_postal_code|address_country|
employer_name|occupation|source_code|utm_source|utm_medium|utm_campaign|utm_term|
utm_content|referrer|origin|source|status|frequency""")
_PAYLOAD_COLUMNS = {
    "address_city": "city",
    "address_region": "region",
    "address_postal_code": "postal_code",
    "address_country": "country",
    "source": "payment_source",
}
# A member whose value is null. Inside a JSON string a quote is always escaped, so
# this can only match a whole member, never text inside a value.
_NULL_MEMBER = ',"[a-z0-9_]+":null'


def _webhook_body(flat_fraction: float) -> pl.Expr:
    """`{"event", "payload"}`, or the payload's fields flat beside `event`."""
    flat = pl.col("webhook_draw") < flat_fraction
    event = (
        pl.when(pl.col("kind") == "donation")
        .then(pl.lit('{"event":"donation_completed",'))
        .otherwise(pl.lit('{"event":"submission_created",'))
    )
    opening = pl.when(flat).then(pl.lit("")).otherwise(pl.lit('"payload":{'))
    closing = pl.when(flat).then(pl.lit("")).otherwise(pl.lit("}"))
    members = _payload().str.strip_prefix("{")
    return pl.concat_str(event, opening, members, closing)


def _payload() -> pl.Expr:
    """The snake_case payload. Keys without a value are left out, not sent as null."""
    col = pl.col
    donation = col("kind") == "donation"
    iso_time = col("created_at").dt.strftime(_ISO_MILLIS)
    # Anedot sends this boolean as the string "true" or "false".
    recurring = pl.when("recurring").then(pl.lit("true")).otherwise(pl.lit("false"))
    fields = pl.struct(
        col("submission_id"),
        pl.when(donation).then(_donation_object()).alias("donation"),
        col("page_id").alias("action_page_id"),
        col("page_name").alias("action_page_name"),
        "account_uid",
        "account_name",
        col("amount").alias("event_amount"),
        col("amount").alias("amount_in_dollars"),
        "net_amount",
        col("created_at").dt.strftime(_UTC_SECONDS),
        pl.when(~col("webhook_without_iso")).then(iso_time).alias("created_at_iso8601"),
        *(col(_PAYLOAD_COLUMNS.get(key, key)).alias(key) for key in _PAYLOAD_KEYS),
        recurring.alias("recurring"),
        "commitment_uid",
        "commitment_index",
        "team",
    )
    text = fields.struct.json_encode().str.replace_all(_NULL_MEMBER, "")
    return _with_raw_member(text, "custom_field_responses", "custom_fields")


def _donation_object() -> pl.Expr:
    """The payload's `donation`: its id, its fund and Anedot's fee."""
    return pl.struct(
        id=pl.col("donation_id"),
        fund=pl.struct(id=pl.col("fund_id"), name=pl.col("fund_name")),
        fees=pl.struct(anedot_fees=pl.struct(amount=pl.col("fee"))),
    )


def _with_raw_member(text: pl.Expr, key: str, column: str) -> pl.Expr:
    """An encoded object with one more member at its end, whose value is JSON text."""
    return pl.concat_str(
        text.str.strip_suffix("}"), pl.lit(f',"{key}":'), pl.col(column), pl.lit("}")
    )
