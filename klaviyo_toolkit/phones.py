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


def _nanp_e164(nationals: pl.DataFrame) -> pl.DataFrame:
    """`national` -> `e164` for the ten-digit numbers valid in some NANP region.

    Regions are tried in phonenumbers' order, US first, and each takes only what the
    ones before it left, so the common case costs two regex passes, not fifty.
    """
    found: list[pl.DataFrame] = []
    pending = nationals
    for general, types, leading in _nanp_rules():
        if pending.is_empty():
            break
        national = pl.col("national")
        matches = national.str.contains(f"^(?:{general})$") & national.str.contains(
            f"^(?:{types})$"
        )
        if leading:
            matches = matches & national.str.contains(f"^(?:{leading})")
        pending = pending.with_columns(_match=matches)
        found.append(pending.filter(pl.col("_match")).drop("_match"))
        pending = pending.filter(~pl.col("_match")).drop("_match")
    valid = pl.concat(found) if found else nationals.clear()
    return valid.with_columns(e164=pl.lit("+1") + pl.col("national"))


def normalize_phones(phones: pl.Series) -> pl.Series:
    """Each phone as E.164, or null where it is missing or not a valid number."""
    distinct = pl.DataFrame({"raw": phones.unique()}).filter(
        pl.col("raw").is_not_null()
    )
    if distinct.is_empty():
        return pl.Series(phones.name, [None] * len(phones), dtype=pl.String)

    trimmed = pl.col("raw").str.strip_chars()
    digits = trimmed.str.replace_all(r"\D", "")
    plus = trimmed.str.starts_with("+")
    national = (
        pl.when(~plus & (digits.str.len_chars() == 10))
        .then(digits)
        .when((digits.str.len_chars() == 11) & digits.str.starts_with("1"))
        .then(digits.str.slice(1))
    )
    # Letters or stray words mean the digits are not the whole story: let the library
    # judge.
    plain = trimmed.str.contains(r"^[\d\s().+\-/]+$")

    staged = distinct.with_columns(national=pl.when(plain).then(national))
    fast = _nanp_e164(staged.filter(pl.col("national").is_not_null()))

    slow = staged.filter(pl.col("national").is_null())
    slow_values = [to_e164(raw) for raw in slow.get_column("raw").to_list()]
    slow = slow.with_columns(e164=pl.Series(slow_values, dtype=pl.String))
    resolved = pl.concat([fast.select("raw", "e164"), slow.select("raw", "e164")])

    looked_up = pl.DataFrame({"raw": phones}).join(
        resolved, on="raw", how="left", maintain_order="left"
    )
    return looked_up.get_column("e164").alias(phones.name)
