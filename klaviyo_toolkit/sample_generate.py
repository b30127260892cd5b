"""Drawing the sample's neutral frame: one numpy draw a column, assembled with polars.

No Python loop runs per row, so a million submissions take seconds, and the same seed
always gives the same frame.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl
import pyarrow as pa

from .sample_pools import (
    AMOUNT_PRESETS,
    AMOUNT_WEIGHTS,
    ANNIE_DOT,
    BASE_TIME,
    COLUMNS,
    DEADLINE,
    DEADLINE_FRACTION,
    DEFAULT_SEED,
    EMAIL_DOMAINS,
    EMAIL_STYLE_WEIGHTS,
    EMAIL_STYLES,
    EXCHANGES,
    FIRST_NAMES,
    FOREIGN_PHONE_WEIGHTS,
    FREQUENCIES,
    FREQUENCY_WEIGHTS,
    HOUR_WEIGHTS,
    JOB_FRACTION,
    JOBS,
    JUNK_PHONES,
    LAST_NAMES,
    LEAD_FRACTION,
    MIDDLE_NAME_FRACTION,
    MIDDLE_NAMES,
    MISSING_ACCOUNT_UID_FRACTION,
    MISSING_ISO_FRACTION,
    MISSING_UTM_FRACTION,
    NO_EMAIL_FRACTION,
    OTHER_AMOUNT_FRACTION,
    PAGES,
    PAYMENT_SOURCE_WEIGHTS,
    PAYMENT_SOURCES,
    PHONE_KINDS,
    PHONE_LAYOUTS,
    PLACES_TABLE,
    RECURRING_PRESETS,
    RECURRING_WEIGHTS,
    REFERRER_FRACTION,
    REFERRERS,
    REPEAT_ROW_FRACTION,
    ROW_TEAM_FRACTION,
    ROWS_PER_LOYAL_DONOR,
    SOURCE_CODE_FRACTION,
    SOURCE_CODES,
    SPAN_DAYS,
    STATUS_WEIGHTS,
    STATUSES,
    STREETS,
    UNIT_FRACTION,
    UNITS,
    US_PHONE_WEIGHTS,
    UTM_CAMPAIGNS,
    UTM_CHANNELS,
    UTM_CONTENTS,
    UTM_TERMS,
    table_rows,
)

Ints = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]


def generate(
    n: int,
    *,
    seed: int = DEFAULT_SEED,
    lead_fraction: float = LEAD_FRACTION,
    start: datetime = BASE_TIME,
    days: int = SPAN_DAYS,
    include_annie: bool = True,
) -> pl.DataFrame:
    """Draw `n` submissions with the columns of `COLUMNS`, the same for the same seed.

    Annie Dot's example (from 2023) comes first unless `include_annie` is false; the
    others follow in time order over `days` days from `start`.
    """
    if n < 1 or days < 1:
        raise ValueError("n and days must be at least 1")
    if not 0.0 <= lead_fraction <= 1.0:
        raise ValueError("lead_fraction must be between 0 and 1")

    rng = np.random.default_rng(seed)
    count = n - 1 if include_annie else n
    donor_ids, no_contact = _donor_ids(rng, count)
    people = pl.concat(
        [_names(rng, count), _addresses(rng, count), _jobs(rng, count)],
        how="horizontal",
    )
    people = _strip_contact(people, no_contact)[donor_ids]

    parts = [
        _gifts(rng, count, lead_fraction),
        people.with_columns(donor_id=pl.Series(donor_ids)),
        _times(rng, count, start, days),
        _marketing(rng, count),
    ]
    frame = _finish(rng, pl.concat(parts, how="horizontal"))

    if not include_annie:
        return frame
    annie = pl.DataFrame([{**ANNIE_DOT, "donor_id": count}], schema=COLUMNS)
    return pl.concat([annie, frame])


def _donor_ids(rng: np.random.Generator, count: int) -> tuple[Ints, Ints]:
    """Which donor made each row, and the donors left with no way to reach them.

    Loyal donors take the first ids and a few other rows, so they appear on several
    submissions; the unreachable ones are picked among donors seen only once.
    """
    loyal = max(1, count // ROWS_PER_LOYAL_DONOR)
    others = rng.permutation(np.arange(loyal, count, dtype=np.int64))
    repeats = others[: int(count * REPEAT_ROW_FRACTION)]
    unreachable = max(2, count // 1000) if count >= 100 else 0

    donor_ids = np.arange(count, dtype=np.int64)
    donor_ids[repeats] = rng.integers(0, loyal, size=len(repeats))
    return donor_ids, others[len(repeats) : len(repeats) + unreachable]


def _names(rng: np.random.Generator, count: int) -> pl.DataFrame:
    """First, middle and last names, and an email address made from them."""
    first = rng.integers(0, len(FIRST_NAMES), size=count)
    last = rng.integers(0, len(LAST_NAMES), size=count)
    style = rng.choice(len(EMAIL_STYLES), size=count, p=_weights(EMAIL_STYLE_WEIGHTS))
    number = pl.Series(rng.integers(1, 100, size=count)).cast(pl.String)

    # Each style is a way of writing the parts: which spelling of the first and last
    # name (lower case, initial, as written), the separator, and whether digits follow.
    spelling = np.array([s[0] for s in EMAIL_STYLES])[style]
    local = pl.concat_str(
        _gather(_FIRST_SPELLINGS, first + spelling * len(FIRST_NAMES)),
        _gather([s[1] for s in EMAIL_STYLES], style),
        _gather(_LAST_SPELLINGS, last + (spelling == 2) * len(LAST_NAMES)),
        pl.when(pl.lit(pl.Series(style > 0)))
        .then(pl.lit(number))
        .otherwise(pl.lit("")),
        pl.lit("@"),
        pl.lit(_draw(rng, EMAIL_DOMAINS, count)),
    )
    has_email = pl.lit(pl.Series(rng.random(count) >= NO_EMAIL_FRACTION))
    return pl.DataFrame(
        {
            "first_name": _gather(FIRST_NAMES, first),
            "middle_name": _sometimes(rng, MIDDLE_NAMES, count, MIDDLE_NAME_FRACTION),
            "last_name": _gather(LAST_NAMES, last),
        }
    ).with_columns(email=pl.when(has_email).then(local))


def _folded(name: str) -> str:
    """A name as the ASCII letters people type into an email address."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if c.isascii() and c.isalnum())


# Spellings 0: lower case, 1: initial, 2: as written (first names); 0 and 2 for last.
_FIRST_SPELLINGS = (
    [_folded(name).lower() for name in FIRST_NAMES]
    + [_folded(name)[0].lower() for name in FIRST_NAMES]
    + [_folded(name) for name in FIRST_NAMES]
)
_LAST_SPELLINGS = [_folded(n).lower() for n in LAST_NAMES] + [
    _folded(n) for n in LAST_NAMES
]


def _addresses(rng: np.random.Generator, count: int) -> pl.DataFrame:
    """Street address, city, region, postal code, country, and a phone in many forms."""
    place = rng.choice(_PLACES.height, size=count, p=_weights(_PLACES["weight"]))
    foreign = _PLACES["country"].to_numpy()[place] != "US"
    us_kind = rng.choice(len(PHONE_KINDS), size=count, p=_weights(US_PHONE_WEIGHTS))
    abroad = rng.choice(len(PHONE_KINDS), size=count, p=_weights(FOREIGN_PHONE_WEIGHTS))
    kind = np.where(foreign, abroad, us_kind)
    places = _PLACES[place]
    street = _draw(rng, STREETS, count).zip_with(
        places["street"].is_null(), places["street"]
    )
    house = pl.Series(rng.integers(100, 10000, size=count)).cast(pl.String)

    return pl.DataFrame(
        {
            "phone": _phones(rng, kind, places["prefix"]),
            "phone_kind": _gather(PHONE_KINDS, kind),
            "address_line_1": house + " " + street,
            "address_line_2": _sometimes(rng, UNITS, count, UNIT_FRACTION),
            **places.select("city", "region", "postal_code", "country").to_dict(),
        }
    )


def _phones(rng: np.random.Generator, kind: Ints, prefix: pl.Series) -> pl.Series:
    """Phones as typed: bare digits, formatted, international, junk, or none.

    Each form is a layout of the same parts (area code, exchange, line); abroad the
    prefix holds everything but the line, which stays under 1000 so UK numbers fall in
    Ofcom's ranges reserved for fiction (020 7946 0xxx, 0161 496 0xxx).
    """
    count = len(kind)
    layout = np.array([0, 1, 2, 5, 0, 0])[kind] + (kind == 2) * rng.integers(
        0, 3, count
    )
    line = rng.integers(0, 10000, size=count)
    line = np.where(kind == 3, line % 1000, line)
    exchange = pl.Series(rng.choice(EXCHANGES, size=count)).cast(pl.String)

    parts = [_gather([parts[i] for parts in PHONE_LAYOUTS], layout) for i in range(3)]
    phone = pl.concat_str(
        pl.lit(parts[0]),
        pl.lit(prefix),
        pl.lit(parts[1]),
        pl.when(pl.lit(pl.Series(kind == 3)))
        .then(pl.lit(""))
        .otherwise(pl.lit(exchange)),
        pl.lit(parts[2]),
        pl.lit(pl.Series(line).cast(pl.String).str.zfill(4)),
    )
    junk = pl.lit(_draw(rng, JUNK_PHONES, count))
    return pl.select(
        pl.when(pl.lit(pl.Series(kind == 4)))
        .then(junk)
        .when(pl.lit(pl.Series(kind != 5)))
        .then(phone)
    ).to_series()


def _jobs(rng: np.random.Generator, count: int) -> pl.DataFrame:
    """Employer and occupation, which campaign donors are asked for."""
    job = _sometimes(rng, JOBS, count, JOB_FRACTION).str.split_exact("/", 1)
    return job.struct.rename_fields(["employer_name", "occupation"]).struct.unnest()


def _strip_contact(people: pl.DataFrame, chosen: Ints) -> pl.DataFrame:
    """Leave the chosen donors no email and a junk or missing phone."""
    mask = np.zeros(people.height, dtype=np.bool_)
    mask[chosen] = True
    junk = np.zeros(people.height, dtype=np.bool_)
    junk[chosen[::2]] = True

    chosen_expr, junk_expr = pl.lit(pl.Series(mask)), pl.lit(pl.Series(junk))
    return people.with_columns(
        email=pl.when(chosen_expr).then(None).otherwise("email"),
        phone=pl.when(junk_expr)
        .then(pl.lit("555-CALL-NOW"))
        .when(chosen_expr)
        .then(None)
        .otherwise("phone"),
        phone_kind=pl.when(junk_expr)
        .then(pl.lit("junk"))
        .when(chosen_expr)
        .then(pl.lit("missing"))
        .otherwise("phone_kind"),
    )


def _gifts(rng: np.random.Generator, count: int, lead_fraction: float) -> pl.DataFrame:
    """Page, kind, money, recurrence and custom fields of each submission."""
    lead = rng.random(count) < lead_fraction
    page = np.where(
        lead, _pick_page(rng, "lead", count), _pick_page(rng, "donation", count)
    )
    pages = _PAGE_FRAME[page]
    recurring = ~lead & (rng.random(count) < pages["recurring_share"].to_numpy())
    cents = _amount_cents(rng, count, recurring)
    fee = (cents * 22 + 500) // 1000 + 30
    draws = pages.with_columns(
        lead=pl.Series(lead),
        recurring=pl.Series(recurring),
        amount=_dollars(cents),
        fee=_dollars(fee),
        net_amount=_dollars(cents - fee),
        status=_draw(rng, STATUSES, count, STATUS_WEIGHTS),
        frequency=_draw(rng, FREQUENCIES, count, FREQUENCY_WEIGHTS),
        payment_source=_draw(rng, PAYMENT_SOURCES, count, PAYMENT_SOURCE_WEIGHTS),
        donation_id=_strings(_hex_chars(rng, count, 21)),
        commitment_uid=_uuids(rng, count),
        commitment_index=pl.Series(np.minimum(rng.geometric(0.35, count), 24)),
        custom_fields=_custom_fields(rng, page),
        submission_id=_uuids(rng, count),
    )

    donation, repeating = ~pl.col("lead"), pl.col("recurring")
    offline = pl.col("payment_source").is_in(["check", "cash"])
    later = pl.col("commitment_index") > 1
    money = ("amount", "fee", "net_amount", "payment_source", "donation_id")
    return draws.select(
        "submission_id",
        kind=pl.when(donation).then(pl.lit("donation")).otherwise(pl.lit("lead")),
        status=pl.when(donation).then("status").otherwise(pl.lit("completed")),
        **{column: pl.when(donation).then(column) for column in money},
        **{
            column: pl.when(donation).then(column)
            for column in ("fund_id", "fund_name")
        },
        recurring="recurring",
        frequency=pl.when(repeating)
        .then("frequency")
        .when(donation)
        .then(pl.lit("once")),
        commitment_uid=pl.when(repeating).then("commitment_uid"),
        commitment_index=pl.when(repeating).then("commitment_index").cast(pl.Int32),
        origin=pl.when(donation & offline)
        .then(pl.lit("api"))
        .when(repeating & later)
        .then(pl.lit("recurring"))
        .otherwise(pl.lit("hosted")),
        **{c: c for c in ("page_id", "page_name", "page_team", "account_uid")},
        account_name="account_name",
        custom_fields="custom_fields",
    )


def _pick_page(rng: np.random.Generator, kind: str, count: int) -> Ints:
    """Page indices of one kind, by the pages' weights."""
    indices = np.array([i for i, page in enumerate(PAGES) if page.kind == kind])
    weights = _weights([PAGES[i].weight for i in indices])
    return np.asarray(indices[rng.choice(len(indices), count, p=weights)], np.int64)


def _amount_cents(rng: np.random.Generator, count: int, recurring: Mask) -> Ints:
    """Gift sizes clustered on the suggested buttons, with some typed-in amounts."""
    preset = _choose(rng, AMOUNT_PRESETS, AMOUNT_WEIGHTS, count) * 100
    monthly = _choose(rng, RECURRING_PRESETS, RECURRING_WEIGHTS, count) * 100
    typed = rng.integers(500, 30000, size=count)
    typed = np.where(rng.random(count) < 0.5, typed - typed % 100, typed)

    other = rng.random(count) < OTHER_AMOUNT_FRACTION
    cents = np.where(recurring, monthly, np.where(other, typed, preset))
    return np.asarray(cents, dtype=np.int64)


def _custom_fields(rng: np.random.Generator, page: Ints) -> pl.Series:
    """Each submission's answers to its page's questions, as a JSON object."""
    members = []
    for index, field in ((i, f) for i, p in enumerate(PAGES) for f in p.custom_fields):
        answers = [f'"{field.key}":{_json(answer)}' for answer in field.answers]
        answer = _draw(rng, answers, len(page))
        answered = (page == index) & (rng.random(len(page)) < field.share)
        members.append(pl.when(pl.lit(pl.Series(answered))).then(pl.lit(answer)))

    body = pl.concat_str(members, separator=",", ignore_nulls=True)
    return pl.select(pl.concat_str(pl.lit("{"), body, pl.lit("}"))).to_series()


def _times(
    rng: np.random.Generator, count: int, start: datetime, days: int
) -> pl.DataFrame:
    """Creation times in order, by day and US-weighted hour, with a deadline burst.

    Rows whose webhook leaves out `created_at_iso8601` get whole seconds, so the
    `created_at` that remains still carries the full time.
    """
    day = rng.integers(0, days, size=count)
    deadline_day = (DEADLINE - start).days
    if 3 <= deadline_day <= days:
        burst = rng.integers(deadline_day - 3, deadline_day, size=count)
        day = np.where(rng.random(count) < DEADLINE_FRACTION, burst, day)
    hour = rng.choice(24, size=count, p=_weights(HOUR_WEIGHTS))
    second = ((day * 24 + hour) * 3600 + rng.integers(0, 3600, size=count)) * 1000
    without_iso = rng.random(count) < MISSING_ISO_FRACTION
    millis = second + np.where(without_iso, 0, rng.integers(0, 1000, size=count))

    # Every other column is drawn independently of time, so sorting the times alone
    # puts the rows in order without sorting the frame.
    order = np.argsort(millis, kind="stable")
    epoch = int(start.timestamp() * 1000) + millis[order]
    created = pl.Series(epoch).cast(pl.Datetime("ms")).dt.replace_time_zone("UTC")
    return pl.DataFrame(
        {"created_at": created, "webhook_without_iso": without_iso[order]}
    )


def _marketing(rng: np.random.Generator, count: int) -> pl.DataFrame:
    """UTM codes (absent on most rows), source codes and referrers."""
    tagged = pl.lit(pl.Series(rng.random(count) >= MISSING_UTM_FRACTION))
    channel = _draw(rng, UTM_CHANNELS, count).str.split_exact("/", 1)
    utm = pl.DataFrame(
        {
            "utm_source": channel.struct.field("field_0"),
            "utm_medium": channel.struct.field("field_1"),
            "utm_campaign": _sometimes(rng, UTM_CAMPAIGNS, count, 0.9),
            "utm_term": _sometimes(rng, UTM_TERMS, count, 0.3),
            "utm_content": _sometimes(rng, UTM_CONTENTS, count, 0.5),
        }
    ).select(pl.when(tagged).then(pl.all()).name.keep())
    return utm.with_columns(
        source_code=_sometimes(rng, SOURCE_CODES, count, SOURCE_CODE_FRACTION),
        referrer=_sometimes(rng, REFERRERS, count, REFERRER_FRACTION),
    )


def _finish(rng: np.random.Generator, frame: pl.DataFrame) -> pl.DataFrame:
    """Row quirks: a team on a few rows, no account uid on some, jobs on gifts only."""
    with_team = pl.lit(pl.Series(rng.random(frame.height) < ROW_TEAM_FRACTION))
    no_uid = pl.lit(pl.Series(rng.random(frame.height) < MISSING_ACCOUNT_UID_FRACTION))
    donation = pl.col("kind") == "donation"
    return frame.with_columns(
        team=pl.when(with_team).then("page_team"),
        account_uid=pl.when(no_uid).then(None).otherwise("account_uid"),
        employer_name=pl.when(donation).then("employer_name"),
        occupation=pl.when(donation).then("occupation"),
        webhook_draw=pl.Series(rng.random(frame.height)),
    ).select(COLUMNS.names())


def _gather(pool: Sequence[str], indices: npt.NDArray[Any]) -> pl.Series:
    """Pool values at the given indices."""
    return pl.Series(pool, dtype=pl.String).gather(indices)


def _draw(
    rng: np.random.Generator,
    pool: Sequence[str],
    count: int,
    weights: Sequence[float] | None = None,
) -> pl.Series:
    """`count` values from a small pool, uniformly or by weight."""
    p = None if weights is None else _weights(weights)
    return _gather(pool, rng.choice(len(pool), count, p=p))


def _sometimes(
    rng: np.random.Generator, pool: Sequence[str], count: int, share: float
) -> pl.Series:
    """Values from a pool on `share` of the rows, null elsewhere."""
    values = _draw(rng, pool, count)
    present = pl.Series(rng.random(count) < share)
    return pl.select(pl.when(present).then(values)).to_series()


def _choose(
    rng: np.random.Generator,
    values: Sequence[int],
    weights: Sequence[float],
    count: int,
) -> Ints:
    """`count` integers from a small weighted list."""
    return np.asarray(values, np.int64)[
        rng.choice(len(values), count, p=_weights(weights))
    ]


def _weights(weights: Sequence[float] | pl.Series) -> npt.NDArray[np.float64]:
    """Relative weights as probabilities."""
    array = np.asarray(weights, dtype=np.float64)
    probabilities: npt.NDArray[np.float64] = array / array.sum()
    return probabilities


def _dollars(cents: Ints) -> pl.Series:
    """Integer cents as exact decimal dollars."""
    scaled = pl.lit(pl.Series(cents)).cast(pl.Decimal(14, 2)) * Decimal("0.01")
    return pl.select(scaled.cast(pl.Decimal(12, 2))).to_series()


_HEX_PAIRS = np.frombuffer("".join(f"{i:02x}" for i in range(256)).encode(), np.uint16)


def _hex_chars(rng: np.random.Generator, count: int, width: int) -> npt.NDArray[Any]:
    """A (count, width) array of random lowercase hex characters, as ASCII bytes."""
    pairs = (width + 1) // 2
    raw = np.frombuffer(rng.bytes(count * pairs), dtype=np.uint8)
    return _HEX_PAIRS[raw].view(np.uint8).reshape(count, 2 * pairs)[:, :width]


def _uuids(rng: np.random.Generator, count: int) -> pl.Series:
    """Random version-4 UUIDs in the usual 8-4-4-4-12 form."""
    chars = _hex_chars(rng, count, 32).copy()
    chars[:, 12] = ord("4")
    chars[:, 16] = np.frombuffer(b"89ab", dtype=np.uint8)[chars[:, 16] % 4]
    dash = np.full((count, 1), ord("-"), dtype=np.uint8)
    groups = [chars[:, a:b] for a, b in ((0, 8), (8, 12), (12, 16), (16, 20), (20, 32))]
    pieces = [piece for group in groups for piece in (dash, group)][1:]
    return _strings(np.concatenate(pieces, axis=1))


def _strings(chars: npt.NDArray[Any]) -> pl.Series:
    """Rows of ASCII bytes as strings, through Arrow to avoid a Python loop."""
    count, width = chars.shape
    buffer = pa.py_buffer(np.ascontiguousarray(chars).tobytes())
    array = pa.FixedSizeBinaryArray.from_buffers(
        pa.binary(width), count, [None, buffer]
    )
    return pl.Series(pl.from_arrow(array)).cast(pl.Binary).cast(pl.String)


def _json(value: str) -> str:
    """One JSON string, non-ASCII kept as UTF-8 like the rest of the files."""
    return json.dumps(value, ensure_ascii=False)


def _places() -> pl.DataFrame:
    """The places table, one row per postal code sharing the place's weight."""
    rows = []
    for city, region, codes, country, weight, prefix, street in table_rows(
        PLACES_TABLE
    ):
        postal_codes = codes.split(",")
        share = float(weight) / len(postal_codes)
        for code in postal_codes:
            rows.append((city, region, code, country, share, prefix, street or None))
    names = ["city", "region", "postal_code", "country", "weight", "prefix", "street"]
    return pl.DataFrame(rows, schema=names, orient="row")


_PLACES = _places()
_PAGE_FRAME = pl.DataFrame(
    {
        "page_id": [p.id for p in PAGES],
        "page_name": [p.name for p in PAGES],
        "page_team": [p.team for p in PAGES],
        "account_uid": [p.account.uid for p in PAGES],
        "account_name": [p.account.name for p in PAGES],
        "fund_id": [p.fund[0] if p.fund else None for p in PAGES],
        "fund_name": [p.fund[1] if p.fund else None for p in PAGES],
        "recurring_share": [p.recurring_share for p in PAGES],
    }
)
