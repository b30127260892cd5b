"""Files and webhook bodies into the store, with bad rows sent to quarantine.

A file is read as raw lines in chunks (or, for a `.json` document, as its items), each
chunk is normalized by one DuckDB statement in memory (`anedot.normalize_sql`), and only
then is the store opened, briefly, to insert the good rows, record the bad ones with
their reasons, and count the ids it already had. One bad line never stops the rest of
its file.
"""

from __future__ import annotations

import glob
import json
import logging
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa

from .anedot import NORMALIZED_COLUMNS, REASONS, normalize_sql
from .errors import InputError
from .lines import read_ahead, read_lines
from .store import Store, frame, scalar

__all__ = [
    "CHUNK_LINES",
    "FileReport",
    "IngestReport",
    "expand_paths",
    "ingest_bodies",
    "ingest_bodies_on",
    "ingest_files",
]

log = logging.getLogger(__name__)

CHUNK_LINES = 245_760
"""Lines normalized and inserted together: two DuckDB row groups, one for each core
to write. A chunk that fills row groups exactly is written once, as it is inserted;
one that leaves a group part full makes later commits rewrite it, and a
500,000-line file took half again as long."""

JSONL_SUFFIXES = {".jsonl", ".ndjson"}
JSON_SUFFIXES = {".json"}

Progress = Callable[[int], None]


@dataclass
class FileReport:
    """What happened to one input."""

    source: str
    read: int = 0
    stored: int = 0
    duplicates: int = 0
    quarantined: int = 0
    reasons: Counter[str] = field(default_factory=Counter)


@dataclass
class IngestReport:
    """Totals over every input of one call, and the reports of each."""

    files: list[FileReport] = field(default_factory=list)

    @property
    def read(self) -> int:
        return sum(f.read for f in self.files)

    @property
    def stored(self) -> int:
        return sum(f.stored for f in self.files)

    @property
    def duplicates(self) -> int:
        return sum(f.duplicates for f in self.files)

    @property
    def quarantined(self) -> int:
        return sum(f.quarantined for f in self.files)

    @property
    def reasons(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for report in self.files:
            total.update(report.reasons)
        return total

    def as_dict(self) -> dict[str, object]:
        return {
            "read": self.read,
            "stored": self.stored,
            "duplicates": self.duplicates,
            "quarantined": self.quarantined,
            "reasons": dict(self.reasons),
            "files": [
                {
                    "source": f.source,
                    "read": f.read,
                    "stored": f.stored,
                    "duplicates": f.duplicates,
                    "quarantined": f.quarantined,
                    "reasons": dict(f.reasons),
                }
                for f in self.files
            ],
        }


def expand_paths(patterns: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Paths and glob patterns to existing files, in the order given, each once."""
    found: list[Path] = []
    for pattern in patterns:
        text = str(pattern)
        matches = sorted(glob.glob(text)) if glob.has_magic(text) else [text]
        if not matches:
            raise InputError(f"No file matches {text!r}.")
        for match in matches:
            path = Path(match)
            if not path.is_file():
                raise InputError(f"{path} is not a file (or does not exist).")
            if path.suffix.lower() not in JSONL_SUFFIXES | JSON_SUFFIXES:
                raise InputError(
                    f"{path} is not a .json, .jsonl or .ndjson file; export "
                    "submissions from Anedot as JSON."
                )
            if path not in found:
                found.append(path)
    return found


def ingest_files(
    store: Store, paths: Sequence[Path], *, progress: Progress | None = None
) -> IngestReport:
    """Ingest every file; `progress` gets the number of lines done after each chunk."""
    report = IngestReport()
    for path in paths:
        file_report = FileReport(source=str(path))
        for chunk in read_ahead(_chunks(path)):
            _ingest_chunk(store, chunk, file_report)
            if progress is not None:
                progress(chunk.num_rows)
        report.files.append(file_report)
        log.info(
            "ingested %s: %d stored, %d duplicates, %d quarantined",
            path,
            file_report.stored,
            file_report.duplicates,
            file_report.quarantined,
        )
    return report


def ingest_bodies(store: Store, bodies: Sequence[bytes], *, source: str) -> FileReport:
    """Ingest raw JSON bodies (webhook deliveries), one submission each."""
    report = FileReport(source=source)
    if bodies:
        _ingest_chunk(store, _lines_table(source, list(bodies), first_line=1), report)
    return report


def ingest_bodies_on(
    con: duckdb.DuckDBPyConnection, bodies: Sequence[bytes], *, source: str
) -> FileReport:
    """`ingest_bodies` in the caller's transaction, to commit with its own writes."""
    report = FileReport(source=source)
    if bodies:
        _ingest_on(con, _lines_table(source, list(bodies), first_line=1), report)
    return report


def _chunks(path: Path) -> Iterator[pa.Table]:
    if path.suffix.lower() in JSON_SUFFIXES:
        yield from _json_document_chunks(path)
        return

    try:
        yield from read_lines(path, str(path), CHUNK_LINES)
    except OSError as error:
        raise InputError(
            f"{path} cannot be read: {error.strerror or error}."
        ) from error


def _json_document_chunks(path: Path) -> Iterator[pa.Table]:
    """A `.json` file: one object, or a list of them.

    A JSONL file misnamed .json also works.
    """
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InputError(
            f"{path} cannot be read: {error.strerror or error}."
        ) from error

    try:
        document = json.loads(data)
    except UnicodeDecodeError:
        yield _lines_table(str(path), [data], first_line=1)
        return
    except json.JSONDecodeError as error:
        if error.msg == "Extra data":
            yield _lines_table(str(path), data.splitlines(), first_line=1)
        else:
            yield _lines_table(str(path), [data], first_line=error.lineno)
        return

    items = document if isinstance(document, list) else [document]
    for start in range(0, len(items), CHUNK_LINES):
        texts = [
            json.dumps(item).encode() for item in items[start : start + CHUNK_LINES]
        ]
        yield _lines_table(str(path), texts, first_line=start + 1)


def _lines_table(source: str, lines: list[bytes], *, first_line: int) -> pa.Table:
    """source, line number, the raw bytes (decoded, or found not UTF-8, by the SQL).

    Line ends are cut and blank lines left out here, in Python: DuckDB's trim costs
    microseconds on a line of a kilobyte, a bytes method a fraction of that.
    """
    numbers = []
    kept = []
    for number, line in enumerate(lines, start=first_line):
        if line.strip():
            numbers.append(number)
            kept.append(line.rstrip(b"\r\n"))
    return pa.table(
        {
            "source": pa.repeat(pa.scalar(source, pa.string()), len(kept)),
            "line": pa.array(numbers, pa.int64()),
            "raw_bytes": pa.array(kept, pa.binary()),
        }
    )


def _ingest_chunk(store: Store, chunk: pa.Table, report: FileReport) -> None:
    with store.transaction() as con:
        _ingest_on(con, chunk, report)


def _ingest_on(
    con: duckdb.DuckDBPyConnection, chunk: pa.Table, report: FileReport
) -> None:
    """Normalize a chunk, insert its new rows and quarantine its bad ones, in the
    caller's transaction.

    All of it runs in the store's own connection: each row's JSON is parsed once into
    a value the `raw` column takes as it is, where a detour through another engine
    would copy every body twice and parse it again on the way in.
    """
    con.register("lines", chunk)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE normalized AS {_NORMALIZE_SQL}")
    finally:
        con.unregister("lines")

    read, good = con.execute(
        "SELECT count(*), count(*) FILTER (reason IS NULL) FROM normalized"
    ).fetchall()[0]
    stored = _insert_new(con)
    _record_pages(con)
    quarantined = _quarantine(con)
    con.execute("DROP TABLE normalized")

    report.read += read
    report.stored += stored
    report.duplicates += good - stored
    report.quarantined += quarantined.height
    report.reasons.update(quarantined.get_column("code").to_list())


def _insert_new(con: duckdb.DuckDBPyConnection) -> int:
    """Insert each good row whose id is new: the first of the chunk, none stored.

    Repeats within the chunk are found from the ids alone; ordering every row with
    its raw body to find them cost a third of a large ingest.
    """
    before = _count(con)
    con.execute(
        f"""
        INSERT INTO submissions ({", ".join(NORMALIZED_COLUMNS)}, ingested_at)
        SELECT {", ".join(f"i.{c}" for c in NORMALIZED_COLUMNS)}, now()
        FROM normalized i
        ANTI JOIN (
            SELECT submission_id, min(source_line) AS first_line FROM normalized
            WHERE reason IS NULL GROUP BY submission_id HAVING count(*) > 1
        ) repeated ON repeated.submission_id = i.submission_id
            AND repeated.first_line <> i.source_line
        ANTI JOIN submissions s ON s.submission_id = i.submission_id
        WHERE i.reason IS NULL
        """
    )
    return _count(con) - before


def _quarantine(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Store the chunk's bad rows with their reasons; the rows stored."""
    bad = frame(
        con,
        "SELECT source, source_line, field, reason, bad_value, text "
        "FROM normalized WHERE reason IS NOT NULL ORDER BY source_line",
    )
    rows = _quarantine_rows(bad)
    if rows.height:
        con.register("bad_rows", rows.to_arrow())
        # A file ingested twice must not quarantine its bad lines twice.
        con.execute(
            """
            INSERT INTO quarantine
            SELECT b.*, now() FROM bad_rows b
            ANTI JOIN quarantine q ON q.source = b.source AND q.line = b.line
                AND q.text IS NOT DISTINCT FROM b.text
            """
        )
        con.unregister("bad_rows")
    return rows


_NORMALIZE_SQL = normalize_sql("lines")


def _quarantine_rows(bad: pl.DataFrame) -> pl.DataFrame:
    """source, line, field, reason (a sentence naming the line and field), the text."""
    described = pl.col("reason").replace_strict(
        REASONS, default="the row cannot be read"
    )
    where = pl.format("{}, line {}", pl.col("source"), pl.col("source_line"))
    field_part = (
        pl.when(pl.col("field").is_not_null())
        .then(pl.format(" (field {}", pl.col("field")))
        .otherwise(pl.lit(""))
    )
    value_part = (
        pl.when(pl.col("bad_value").is_not_null())
        .then(pl.format(": {})", pl.col("bad_value").str.slice(0, 80)))
        .when(pl.col("field").is_not_null())
        .then(pl.lit(")"))
        .otherwise(pl.lit(""))
    )
    return bad.select(
        pl.col("source"),
        pl.col("source_line").alias("line"),
        pl.col("field"),
        pl.col("reason").alias("code"),
        pl.concat_str([where, pl.lit(": "), described, field_part, value_part]).alias(
            "reason"
        ),
        pl.col("text").str.slice(0, 10_000).alias("text"),
    )


def _record_pages(con: duckdb.DuckDBPyConnection) -> None:
    """Pages seen in submissions; a team set by import or by hand is never replaced."""
    con.execute(
        """
        INSERT INTO action_pages
        SELECT action_page_id, any_value(action_page_name), any_value(account_uid),
               any_value(account_name), any_value(team),
               CASE WHEN any_value(team) IS NOT NULL THEN 'submission' END
        FROM normalized WHERE reason IS NULL AND action_page_id IS NOT NULL
        GROUP BY action_page_id
        ON CONFLICT (page_id) DO UPDATE SET
            name = coalesce(excluded.name, action_pages.name),
            account_uid = coalesce(action_pages.account_uid, excluded.account_uid),
            account_name = coalesce(action_pages.account_name, excluded.account_name),
            team = CASE WHEN action_pages.team_source IN ('import', 'manual')
                        THEN action_pages.team
                        ELSE coalesce(excluded.team, action_pages.team) END,
            team_source = CASE WHEN action_pages.team_source IN ('import', 'manual')
                               THEN action_pages.team_source
                               ELSE coalesce(excluded.team_source,
                               action_pages.team_source)
                          END
        """
    )


def _count(con: duckdb.DuckDBPyConnection) -> int:
    return int(str(scalar(con, "SELECT count(*) FROM submissions")))
