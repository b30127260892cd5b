"""The block reader against the plain reading of a file line by line."""

from __future__ import annotations

import io
import random
import threading
from collections.abc import Iterator

import pytest

from klaviyo_toolkit import lines


def plain_reading(data: bytes) -> list[tuple[int, bytes]]:
    """What the reader must give: (line number, line without its end), blanks out."""
    found = []
    for number, line in enumerate(io.BytesIO(data), start=1):
        if line.strip():
            if line.endswith(b"\n"):
                line = line[:-1]
            if line.endswith(b"\r"):
                line = line[:-1]
            found.append((number, line))
    return found


def read(data: bytes, per_table: int) -> list[tuple[int, bytes]]:
    rows = []
    for table in lines.line_tables(io.BytesIO(data), "f.jsonl", per_table):
        assert table.column("source").to_pylist() == ["f.jsonl"] * table.num_rows
        rows += zip(
            table.column("line").to_pylist(),
            table.column("raw_bytes").to_pylist(),
            strict=True,
        )
    return rows


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\n\n",
        b'{"a": 1}',
        b'{"a": 1}\n',
        b'{"a": 1}\r\n{"b": 2}\r\n',
        b'{"a": 1}\r',
        b'\n  \n{"a": 1}\n\t\r\n  {"b": 2}  \n\xff\xfe\n',
        b"x\n\r\n\r\ny",
    ],
)
def test_edge_cases_read_like_the_plain_reading(data: bytes) -> None:
    assert read(data, 2) == plain_reading(data)


def test_random_files_read_alike_across_block_and_table_sizes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = random.Random(7)
    pieces = [
        b'{"id": "s1"}',
        b"",
        b"   ",
        b"\t",
        b"\xc3\x28",
        b"  {}",
        b"\r",
        b"x" * 90,
    ]
    for _ in range(60):
        ends = [rng.choice([b"\n", b"\r\n"]) for _ in range(rng.randint(0, 40))]
        data = b"".join(rng.choice(pieces) + end for end in ends)
        if rng.random() < 0.5:
            data += rng.choice(pieces)
        monkeypatch.setattr(lines, "READ_BYTES", rng.choice([1, 7, 64, 1 << 20]))

        assert read(data, rng.choice([1, 3, 1000])) == plain_reading(data)


def test_tables_hold_the_asked_number_of_lines_in_small_batches(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(lines, "BATCH_ROWS", 4)
    data = b"".join(b'{"n": %d}\n' % n for n in range(25))

    tables = list(lines.line_tables(io.BytesIO(data), "f", 10))

    assert [t.num_rows for t in tables] == [10, 10, 5]
    assert max(len(b) for t in tables for b in t.to_batches()) == 4


def test_read_ahead_gives_every_item_in_order() -> None:
    assert list(lines.read_ahead(iter(range(50)))) == list(range(50))


def test_read_ahead_raises_the_error_where_the_items_stopped() -> None:
    def failing() -> Iterator[int]:
        yield 1
        yield 2
        raise OSError("disk gone")

    seen = []
    with pytest.raises(OSError, match="disk gone"):
        for item in lines.read_ahead(failing()):
            seen.append(item)

    assert seen == [1, 2]


def test_read_ahead_stops_its_thread_when_the_caller_stops_early() -> None:
    made = []

    def counting() -> Iterator[int]:
        for n in range(1000):
            made.append(n)
            yield n

    for item in lines.read_ahead(counting()):
        if item == 3:
            break

    assert len(made) < 10
    assert not any(t.name == "klaviyo-toolkit-read" for t in threading.enumerate())
