"""JSON text from polars columns, for bodies assembled by string concatenation.

A body is pasted together from literal pieces (keys and quotes included) and values.
Escaping the values is the costly part: encoding each through `struct.json_encode` and
slicing its quotes back out takes two passes and a struct per column. Almost no value
holds a quote, a backslash or a control character, so the values are used as they are,
and only the rows where one needs an escape go through an escaper that writes what
`json.dumps` and polars' own encoder write (`\\n`, `\\"`, `\\u001f`; the rest as
UTF-8).
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

__all__ = ["escape", "escaped_columns", "nested", "obj", "raw", "string"]

_SHORT = {
    "\\": "\\\\",
    '"': '\\"',
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\b": "\\b",
    "\f": "\\f",
}
_ESCAPES = _SHORT | {
    chr(code): f"\\u{code:04x}" for code in range(0x20) if chr(code) not in _SHORT
}
_NEEDS_ESCAPE = r'["\\\x00-\x1f]'


def escape(expr: pl.Expr) -> pl.Expr:
    """The string with JSON's escapes, to stand between quotes; null stays null."""
    return expr.cast(pl.String).str.replace_many(
        list(_ESCAPES), list(_ESCAPES.values())
    )


def escaped_columns(frame: pl.DataFrame, columns: Sequence[str]) -> pl.DataFrame:
    """`frame` with each of `columns` escaped for a JSON string in `_j_<column>`.

    The new columns share the old ones' memory; only the rows where some value needs
    an escape are written anew.
    """
    names = [f"_j_{column}" for column in columns]
    needs = (
        frame.lazy()
        .select(
            pl.any_horizontal(
                pl.col(c).cast(pl.String).str.contains(_NEEDS_ESCAPE) for c in columns
            )
        )
        .collect(engine="streaming")
        .to_series()
    )
    staged = frame.with_columns(
        pl.col(c).cast(pl.String).alias(n) for c, n in zip(columns, names, strict=True)
    )

    rows = needs.arg_true()
    if rows.len():
        escaped = frame[rows].select(
            escape(pl.col(c)).alias(n) for c, n in zip(columns, names, strict=True)
        )
        staged = staged.with_columns(
            staged.get_column(n).scatter(rows, escaped.get_column(n)) for n in names
        )
    return staged


def string(key: str, text: pl.Expr) -> pl.Expr:
    """`"key":"text"` for escaped `text`, or null (left out) when it is null."""
    return pl.concat_str([pl.lit(f'"{key}":"'), text, pl.lit('"')])


def raw(key: str, value: pl.Expr) -> pl.Expr:
    """`"key":value` for JSON text `value` (a number), or null when it is null."""
    return pl.concat_str([pl.lit(f'"{key}":'), value])


def obj(members: Sequence[pl.Expr]) -> pl.Expr:
    """`{...}` of the members that are not null."""
    return pl.concat_str(
        [
            pl.lit("{"),
            pl.concat_str(members, separator=",", ignore_nulls=True),
            pl.lit("}"),
        ]
    )


def nested(key: str, members: Sequence[pl.Expr]) -> pl.Expr:
    """`"key":{...}`, left out entirely when every member is null."""
    inner = pl.concat_str(members, separator=",", ignore_nulls=True)
    return pl.when(inner.str.len_bytes() > 0).then(
        pl.concat_str([pl.lit(f'"{key}":{{'), inner, pl.lit("}")])
    )
