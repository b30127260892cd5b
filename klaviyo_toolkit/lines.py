"""A JSONL file cut into tables of lines, by numpy over blocks of bytes.

Ingest hands DuckDB a table of (source, line number, raw bytes). Building it from a
Python list of lines cost half a second per 122,880 lines, more than DuckDB takes to
normalize them; here the newlines of a block are found by one vectorized comparison,
the line ends are dropped by two byte replacements, and the lines become a binary
column over the result without another per-line step. Only the few lines that may be
blank (those starting with white space) are looked at one by one.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO, TypeVar, cast

import numpy as np
import numpy.typing as npt
import pyarrow as pa

__all__ = ["BATCH_ROWS", "READ_BYTES", "line_tables", "read_ahead", "read_lines"]

T = TypeVar("T")

READ_BYTES = 1 << 23
"""Bytes read at a time. Small enough that the buffers of one block are reused for
the next (a fresh buffer of tens of megabytes costs more in page faults than the work
done in it); a line longer than a block is simply carried into the next read."""

BATCH_ROWS = 15_360
"""Rows of one Arrow batch at most. DuckDB gives each batch of a scanned table to one
thread, so a chunk in many batches is normalized on every core, not one."""

_NEWLINE = 10
_CARRIAGE_RETURN = 13
_SPACES = np.array([9, 10, 11, 12, 13, 32], dtype=np.uint8)


def line_tables(
    handle: BinaryIO, source: str, rows_per_table: int
) -> Iterator[pa.Table]:
    """Tables of `rows_per_table` lines each (the last may hold fewer). Blank lines
    are left out but counted, so that every row keeps its line number in the file."""
    pending: list[pa.Table] = []
    held = 0
    for table in _block_tables(handle, source):
        pending.append(table)
        held += table.num_rows
        while held >= rows_per_table:
            whole = pa.concat_tables(pending)
            yield _batched(whole.slice(0, rows_per_table))
            pending = [whole.slice(rows_per_table)]
            held -= rows_per_table
    if held or not pending:
        yield _batched(pa.concat_tables(pending) if pending else _empty(source))


def _block_tables(handle: BinaryIO, source: str) -> Iterator[pa.Table]:
    """One table for each block read, of the whole lines the block ends."""
    first_line = 1
    rest = b""
    while True:
        block = handle.read(READ_BYTES)
        if not block:
            if rest:
                yield _lines_table(memoryview(rest), source, first_line)[0]
            return

        data = rest + block if rest else block
        cut = data.rfind(b"\n") + 1
        if cut:
            table, lines = _lines_table(memoryview(data)[:cut], source, first_line)
            first_line += lines
            yield table
        rest = data[cut:]


def _batched(table: pa.Table) -> pa.Table:
    batches = table.to_batches(max_chunksize=BATCH_ROWS)
    return pa.Table.from_batches(batches, schema=table.schema)


def _empty(source: str) -> pa.Table:
    return _lines_table(memoryview(b""), source, 1)[0]


def _lines_table(
    block: memoryview, source: str, first_line: int
) -> tuple[pa.Table, int]:
    """source, line, raw_bytes for every line of `block` that is not blank, and the
    number of lines, blank ones included.

    The line end ("\\n", or "\\r\\n") is not part of a line; a last line without
    one is still a line.
    """
    buf = np.frombuffer(block, np.uint8)
    ends = np.flatnonzero(buf == _NEWLINE)
    if len(buf) and buf[-1] != _NEWLINE:
        ends = np.append(ends, len(buf))

    starts = np.empty_like(ends)
    starts[:1] = 0
    starts[1:] = ends[:-1] + 1
    stops = ends - _carriage_returns(buf, starts, ends)
    kept = ~_blank(buf, starts, stops)

    lengths = (stops - starts)[kept]
    data = _joined(block, buf, ends, starts, stops, kept, int(lengths.sum()))
    offsets = np.zeros(len(lengths) + 1, np.int64)
    np.cumsum(lengths, out=offsets[1:])
    numbers = np.arange(first_line, first_line + len(ends), dtype=np.int64)[kept]

    raw = pa.LargeBinaryArray.from_buffers(
        pa.large_binary(),
        len(lengths),
        [None, pa.py_buffer(offsets), pa.py_buffer(data)],
    )
    table = pa.table(
        {
            "source": pa.repeat(pa.scalar(source, pa.string()), len(lengths)),
            "line": pa.array(numbers, pa.int64()),
            "raw_bytes": raw,
        }
    )
    return table, len(ends)


def _carriage_returns(
    buf: npt.NDArray[np.uint8],
    starts: npt.NDArray[np.int64],
    ends: npt.NDArray[np.int64],
) -> npt.NDArray[np.int64]:
    """1 for each line ending in "\\r\\n" (or a last line ending in "\\r"), else 0."""
    before_end = np.maximum(ends - 1, 0)
    found: npt.NDArray[np.bool_] = (ends > starts) & (
        buf[before_end] == _CARRIAGE_RETURN
    )
    return found.astype(np.int64)


def _blank(
    buf: npt.NDArray[np.uint8],
    starts: npt.NDArray[np.int64],
    stops: npt.NDArray[np.int64],
) -> npt.NDArray[np.bool_]:
    """Lines of white space only. A line that is not empty can only be blank if it
    starts with white space, which submissions almost never do: only those are read."""
    empty: npt.NDArray[np.bool_] = stops == starts
    first = buf[np.minimum(starts, max(len(buf) - 1, 0))] if len(buf) else starts
    maybe = ~empty & np.isin(first, _SPACES)
    blank = empty.copy()
    for index in np.flatnonzero(maybe):
        blank[index] = not buf[starts[index] : stops[index]].tobytes().strip()
    return blank


def _joined(
    block: memoryview,
    buf: npt.NDArray[np.uint8],
    ends: npt.NDArray[np.int64],
    starts: npt.NDArray[np.int64],
    stops: npt.NDArray[np.int64],
    kept: npt.NDArray[np.bool_],
    size: int,
) -> bytes | npt.NDArray[np.uint8]:
    """The kept lines' bytes one after another, without their ends.

    Every "\n" is a line end and every "\r\n" too, so removing them is two bytes
    replacements, at memory speed; a masked copy (five times slower) is left for
    blocks with blank lines or a last line ending in a bare "\r", which the length
    check catches.
    """
    if kept.all():
        joined = block.tobytes().replace(b"\r\n", b"").replace(b"\n", b"")
        if len(joined) == size:
            return joined
    return buf[_kept_bytes(buf, ends, starts, stops, kept)]


def _kept_bytes(
    buf: npt.NDArray[np.uint8],
    ends: npt.NDArray[np.int64],
    starts: npt.NDArray[np.int64],
    stops: npt.NDArray[np.int64],
    kept: npt.NDArray[np.bool_],
) -> npt.NDArray[np.bool_]:
    """A mask of the bytes that belong to kept lines, line ends left out."""
    mask = np.ones(len(buf), np.bool_)
    mask[ends[ends < len(buf)]] = False
    carriage = stops < ends
    mask[stops[carriage]] = False
    for index in np.flatnonzero(~kept):
        mask[starts[index] : stops[index]] = False
    return mask


def read_lines(path: Path, source: str, lines_per_table: int) -> Iterator[pa.Table]:
    """`line_tables` over a file opened here."""
    with path.open("rb") as handle:
        yield from line_tables(handle, source, lines_per_table)


def read_ahead(items: Iterator[T]) -> Iterator[T]:
    """`items`, with the next one made in a thread while the caller works on this one.

    DuckDB lets go of the interpreter while it runs, so the next chunk's lines are cut
    while the store inserts the last. An error in the thread comes out of the loop at
    the item it stopped at; a caller that stops early lets the thread finish one item.
    """
    handoff: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                if stop.is_set():
                    return
                handoff.put(("item", item))
            handoff.put(("end", None))
        except BaseException as error:  # handed to the caller's thread, raised there
            handoff.put(("error", error))

    worker = threading.Thread(target=produce, name="klaviyo-toolkit-read", daemon=True)
    worker.start()
    try:
        while True:
            kind, value = handoff.get()
            if kind == "end":
                return
            if kind == "error":
                assert isinstance(value, BaseException)
                raise value
            yield cast(T, value)
    finally:
        stop.set()
        while worker.is_alive():
            with contextlib.suppress(queue.Empty):
                handoff.get(timeout=0.1)
