"""The JSON text helpers: escapes exactly as `json.dumps` writes them."""

from __future__ import annotations

import json
from collections.abc import Sequence

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from klaviyo_toolkit.json_text import escape, escaped_columns, nested, obj, string


def _escaped(values: Sequence[str | None]) -> list[str | None]:
    return (
        pl.DataFrame({"v": list(values)}, schema={"v": pl.String})
        .select(escape(pl.col("v")))["v"]
        .to_list()
    )


def _dumped(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)[1:-1]


def test_every_control_character_is_escaped_as_json_dumps_does() -> None:
    controls = [chr(code) for code in range(0x20)]

    assert _escaped(controls) == [_dumped(c) for c in controls]


@settings(max_examples=200, derandomize=True, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(codec="utf-8")), max_size=20))
def test_escaped_text_equals_json_dumps_for_any_text(values: list[str]) -> None:
    assert _escaped(values) == [_dumped(v) for v in values]


def test_only_rows_that_need_an_escape_are_rewritten() -> None:
    frame = pl.DataFrame({"a": ["plain", 'say "hi"', None], "b": ["x", "y", "tab\t"]})

    escaped = escaped_columns(frame, ["a", "b"])

    assert escaped["_j_a"].to_list() == ["plain", 'say \\"hi\\"', None]
    assert escaped["_j_b"].to_list() == ["x", "y", "tab\\t"]
    assert escaped["a"].to_list() == frame["a"].to_list()


def test_objects_leave_out_null_members_and_empty_nested_objects() -> None:
    frame = pl.DataFrame({"a": ["1", None, None], "b": ["2", "3", None]})

    text = frame.select(
        obj(
            [
                string("a", pl.col("a")),
                nested("inner", [string("b", pl.col("b"))]),
            ]
        )
    ).to_series()

    assert [json.loads(t) for t in text] == [
        {"a": "1", "inner": {"b": "2"}},
        {"inner": {"b": "3"}},
        {},
    ]
