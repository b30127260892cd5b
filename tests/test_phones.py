from __future__ import annotations

import random

import polars as pl
import pytest

from klaviyo_toolkit.phones import normalize_phones, to_e164


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("5045550123", "+15045550123"),
        ("5042345678", "+15042345678"),
        ("15042345678", "+15042345678"),
        ("(504) 234-5678", "+15042345678"),
        ("504.234.5678", "+15042345678"),
        ("+1 504 234 5678", "+15042345678"),
        ("+44 20 7946 0958", "+442079460958"),
        ("4162345678", "+14162345678"),
        ("1231231234", None),
        ("123", None),
        ("555-CALL-NOW", None),
        ("", None),
        (None, None),
    ],
)
def test_phones_become_e164_or_null(raw: str | None, e164: str | None) -> None:
    assert normalize_phones(pl.Series("p", [raw], dtype=pl.String)).to_list() == [e164]


def test_the_fast_path_agrees_with_phonenumbers_on_random_numbers() -> None:
    rng = random.Random(20261203)
    shapes = ["{d}", "1{d}", "({a}) {b}-{c}", "+1{d}", "+44 20 {b}{c}", "{a}-{b}"]
    raws = []
    for _ in range(3_000):
        digits = "".join(rng.choice("0123456789") for _ in range(10))
        shape = rng.choice(shapes)
        raws.append(shape.format(d=digits, a=digits[:3], b=digits[3:6], c=digits[6:]))

    fast = normalize_phones(pl.Series("p", raws)).to_list()

    assert fast == [to_e164(raw) for raw in raws]
    assert sum(value is not None for value in fast) > 300
