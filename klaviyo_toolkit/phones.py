"""Phones to E.164, the only form Klaviyo accepts.

Anedot keeps phones as people typed them, mostly ten bare digits. The `phonenumbers`
library decides what a valid number is; calling it once per row costs tens of
microseconds, too slow for a million rows. So North American numbers (nearly all of
them) are checked with phonenumbers' own metadata patterns, compiled into polars
expressions that run in Rust, and only the rest (international forms) go through
`phonenumbers.parse` one distinct value at a time. A test checks that both paths agree
with the library on random numbers.
"""

from __future__ import annotations

from functools import cache

import phonenumbers
import polars as pl
from phonenumbers import PhoneMetadata

__all__ = ["DEFAULT_REGION", "normalize_phones", "to_e164"]

DEFAULT_REGION = "US"
NANP_COUNTRY_CODE = 1

_NUMBER_TYPES = (
    "fixed_line",
    "mobile",
    "toll_free",
    "premium_rate",
    "shared_cost",
    "personal_number",
    "voip",
    "pager",
    "uan",
    "voicemail",
)


def to_e164(raw: str | None, region: str = DEFAULT_REGION) -> str | None:
    """One phone through phonenumbers itself: E.164 when valid, else None."""
    if raw is None or not raw.strip():
        return None
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@cache
def _nanp_rules() -> tuple[tuple[str, str, str | None], ...]:
    """(general pattern, any-type pattern, leading digits) per NANP region, US first."""
    rules = []
    for region in phonenumbers.COUNTRY_CODE_TO_REGION_CODE[NANP_COUNTRY_CODE]:
        metadata = PhoneMetadata.metadata_for_region(region)
        if metadata is None or metadata.general_desc is None:
            continue
        types = [
            desc.national_number_pattern
            for name in _NUMBER_TYPES
            if (desc := getattr(metadata, name)) is not None
            and desc.national_number_pattern
        ]
        if not types:
            continue
        general = metadata.general_desc.national_number_pattern or r"\d+"
        rules.append(
            (general, "|".join(f"(?:{t})" for t in types), metadata.leading_digits)
        )
    return tuple(rules)


def _matches(national: pl.Expr, rule: tuple[str, str, str | None]) -> pl.Expr:
    general, types, leading = rule
    matches = national.str.contains(f"^(?:{general})$") & national.str.contains(
        f"^(?:{types})$"
    )
    if leading:
        matches = matches & national.str.contains(f"^(?:{leading})")
    return matches


def _nanp_e164(nationals: pl.DataFrame) -> pl.DataFrame:
    """`national` -> `e164` for the ten-digit numbers valid in some NANP region.

    Regions are tried in phonenumbers' order, US first, and each takes only what the
    ones before it left, so the common case costs two regex passes, not fifty.
    """
    found: list[pl.DataFrame] = []
    pending = nationals
    for rule in _nanp_rules():
        if pending.is_empty():
            break
        pending = pending.with_columns(_match=_matches(pl.col("national"), rule))
        found.append(pending.filter(pl.col("_match")).drop("_match"))
        pending = pending.filter(~pl.col("_match")).drop("_match")
    valid = pl.concat(found) if found else nationals.clear()
    return valid.with_columns(e164=pl.lit("+1") + pl.col("national"))


def _national() -> pl.Expr:
    """The ten NANP digits of `raw`, or null when it is not plainly such a number."""
    trimmed = pl.col("raw").str.strip_chars()
    digits = pl.col("_digits")
    # Letters or stray words mean the digits are not the whole story: let the library
    # judge.
    plain = trimmed.str.contains(r"^[\d\s().+\-/]+$")
    national = (
        pl.when(~trimmed.str.starts_with("+") & (digits.str.len_chars() == 10))
        .then(digits)
        .when((digits.str.len_chars() == 11) & digits.str.starts_with("1"))
        .then(digits.str.slice(1))
    )
    return pl.when(plain).then(national)


def _resolve_rest(rest: pl.DataFrame) -> pl.DataFrame:
    """`raw` -> `e164` for the few distinct phones the US patterns did not settle."""
    fast = _nanp_e164(rest.filter(pl.col("national").is_not_null()))
    slow = rest.filter(pl.col("national").is_null())
    slow_values = [to_e164(raw) for raw in slow.get_column("raw").to_list()]
    slow = slow.with_columns(e164=pl.Series(slow_values, dtype=pl.String))
    return pl.concat([fast.select("raw", "e164"), slow.select("raw", "e164")])


def normalize_phones(phones: pl.Series) -> pl.Series:
    """Each phone as E.164, or null where it is missing or not a valid number.

    The US patterns run over every row in Rust; what they leave (other NANP regions,
    international forms, junk) is resolved once per distinct value and put back in
    place, so no join over the whole column is needed.
    """
    us = _nanp_rules()[0]
    frame = (
        pl.LazyFrame({"raw": phones.cast(pl.String)})
        .with_columns(
            _digits=pl.col("raw").str.strip_chars().str.replace_all(r"\D", "")
        )
        .with_columns(national=_national())
        .with_columns(
            e164=pl.when(_matches(pl.col("national"), us)).then(
                pl.lit("+1") + pl.col("national")
            )
        )
        .with_row_index("_row")
        # The patterns are long alternations; the streaming engine runs them on every
        # core.
        .collect(engine="streaming")
    )
    e164 = frame.get_column("e164")

    rest = frame.filter(pl.col("e164").is_null() & pl.col("raw").is_not_null())
    if not rest.is_empty():
        distinct = rest.select("raw", "national").unique("raw")
        settled = rest.select("_row", "raw").join(
            _resolve_rest(distinct), on="raw", how="left"
        )
        e164 = e164.scatter(settled.get_column("_row"), settled.get_column("e164"))
    return e164.alias(phones.name)
