"""The DuckDB store: schema, migrations and short-lived connections.

DuckDB lets one process hold a file read-write, and while it does, every other process
is locked out, readers included. The TUI has to watch while a notebook or cron job
pushes, so no part of the toolkit keeps a connection open: each unit of work (a batch of
attempts, one poll) opens the file, runs its transaction and closes it. A lock conflict
is retried with a short, bounded backoff, and only then surfaces as `StoreBusy`.
"""

from __future__ import annotations

import logging
import os
import random
import stat
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import polars as pl

from .errors import StoreBusy, StoreError

__all__ = [
    "CONNECTION_LOCK",
    "DEFAULT_BUSY_TIMEOUT",
    "DEFAULT_DB",
    "SCHEMA_VERSION",
    "Store",
    "frame",
    "scalar",
]

log = logging.getLogger(__name__)

DEFAULT_DB = "klaviyo_toolkit.duckdb"
DB_ENV = "KLAVIYO_TOOLKIT_DB"
DEFAULT_BUSY_TIMEOUT = 15.0
"""Seconds to keep retrying a locked file; a push batch holds it for milliseconds."""

# DuckDB builds a database instance when the first connection to a file opens and tears
# it down when the last one closes; threads doing that at once in one process have been
# seen to lose the instance's Arrow scan function. One lock per process keeps connection
# lifetimes apart; each holds it for one short unit of work.
CONNECTION_LOCK = threading.RLock()

_FIRST_BACKOFF = 0.005
_MAX_BACKOFF = 0.25

_SUBMISSION_COLUMNS = """
    submission_id VARCHAR PRIMARY KEY,
    kind VARCHAR NOT NULL,
    event VARCHAR,
    status VARCHAR,
    action_page_id VARCHAR,
    action_page_name VARCHAR,
    team VARCHAR,
    account_uid VARCHAR,
    account_name VARCHAR,
    created_at TIMESTAMPTZ NOT NULL,
    amount DECIMAL(18, 2),
    recurring BOOLEAN,
    frequency VARCHAR,
    email VARCHAR,
    first_name VARCHAR,
    last_name VARCHAR,
    phone VARCHAR,
    address_line_1 VARCHAR,
    address_line_2 VARCHAR,
    city VARCHAR,
    region VARCHAR,
    postal_code VARCHAR,
    country VARCHAR,
    utm_source VARCHAR,
    utm_medium VARCHAR,
    utm_campaign VARCHAR,
    utm_term VARCHAR,
    utm_content VARCHAR,
    source_code VARCHAR,
    custom_fields JSON,
    raw JSON,
    source VARCHAR,
    source_line BIGINT,
    ingested_at TIMESTAMPTZ NOT NULL
"""

# Each entry moves the file from version i to i + 1; never edit a released entry,
# append.
MIGRATIONS: tuple[str, ...] = (
    f"""
    CREATE TABLE submissions ({_SUBMISSION_COLUMNS});
    CREATE TABLE action_pages (
        page_id VARCHAR PRIMARY KEY,
        name VARCHAR,
        account_uid VARCHAR,
        account_name VARCHAR,
        team VARCHAR,
        team_source VARCHAR
    );
    CREATE TABLE integrations (
        name VARCHAR PRIMARY KEY,
        api_key_env VARCHAR,
        api_key VARCHAR,
        key_hint VARCHAR NOT NULL,
        base_url VARCHAR NOT NULL,
        pages JSON,
        excluded_pages JSON NOT NULL,
        team VARCHAR,
        account VARCHAR,
        value_unit VARCHAR NOT NULL,
        failure_threshold INTEGER NOT NULL,
        active BOOLEAN NOT NULL,
        consecutive_failures INTEGER NOT NULL,
        inactive_since TIMESTAMPTZ,
        inactive_reason VARCHAR,
        last_success_at TIMESTAMPTZ,
        last_error VARCHAR,
        created_at TIMESTAMPTZ NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL
    );
    CREATE TABLE relay_attempts (
        integration VARCHAR NOT NULL,
        submission_id VARCHAR NOT NULL,
        push_id VARCHAR NOT NULL,
        request_id VARCHAR NOT NULL,
        attempted_at TIMESTAMPTZ NOT NULL,
        endpoint VARCHAR NOT NULL,
        mode VARCHAR NOT NULL,
        http_status INTEGER,
        outcome VARCHAR NOT NULL,
        error_code VARCHAR,
        error_title VARCHAR,
        error_detail VARCHAR,
        duration_ms DOUBLE
    );
    CREATE TABLE quarantine (
        source VARCHAR NOT NULL,
        line BIGINT,
        field VARCHAR,
        code VARCHAR NOT NULL,
        reason VARCHAR NOT NULL,
        text VARCHAR,
        quarantined_at TIMESTAMPTZ NOT NULL
    );
    """,
    # 2: webhook deliveries, kept whole and keyed by Anedot's X-Request-Id.
    """
    CREATE TABLE webhook_deliveries (
        request_id VARCHAR PRIMARY KEY,
        received_at TIMESTAMPTZ NOT NULL,
        event VARCHAR,
        submission_id VARCHAR,
        integration_id VARCHAR,
        outcome VARCHAR NOT NULL,
        body JSON NOT NULL
    );
    """,
    # 3: the raw bodies, most of the file's bytes, compressed with zstd: the file is
    # a third of the size and a commit that writes a chunk of them takes half the time.
    f"""
    CREATE TABLE submissions_v3 ({
        _SUBMISSION_COLUMNS.replace("raw JSON,", "raw JSON USING COMPRESSION zstd,")
    });
    INSERT INTO submissions_v3 SELECT * FROM submissions;
    DROP TABLE submissions;
    ALTER TABLE submissions_v3 RENAME TO submissions;
    CREATE TABLE webhook_deliveries_v3 (
        request_id VARCHAR PRIMARY KEY,
        received_at TIMESTAMPTZ NOT NULL,
        event VARCHAR,
        submission_id VARCHAR,
        integration_id VARCHAR,
        outcome VARCHAR NOT NULL,
        body JSON NOT NULL USING COMPRESSION zstd
    );
    INSERT INTO webhook_deliveries_v3 SELECT * FROM webhook_deliveries;
    DROP TABLE webhook_deliveries;
    ALTER TABLE webhook_deliveries_v3 RENAME TO webhook_deliveries;
    """,
    # 4: no index on submission ids. Ingest is their only writer and inserts only ids
    # it has not got (an anti join, which needs no index); keeping the index up cost
    # a third of the time of a large ingest, and every reader joins or scans instead.
    f"""
    CREATE TABLE submissions_v4 ({
        _SUBMISSION_COLUMNS.replace(
            "raw JSON,", "raw JSON USING COMPRESSION zstd,"
        ).replace("submission_id VARCHAR PRIMARY KEY", "submission_id VARCHAR NOT NULL")
    });
    INSERT INTO submissions_v4 SELECT * FROM submissions;
    DROP TABLE submissions;
    ALTER TABLE submissions_v4 RENAME TO submissions;
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


def scalar(
    con: duckdb.DuckDBPyConnection, query: str, params: list[object] | None = None
) -> object:
    """The first value of the first row, or None; the result is read to its end, which
    DuckDB wants before the connection does anything else.
    """
    rows = con.execute(query, params or []).fetchall()
    return rows[0][0] if rows else None


def frame(
    con: duckdb.DuckDBPyConnection, query: str, params: list[object] | None = None
) -> pl.DataFrame:
    """A query's result as a polars frame (DuckDB 2 reads through a relation, `sql`)."""
    result = con.sql(query, params=params or None).pl()
    assert isinstance(result, pl.DataFrame)
    return result


def default_db_path() -> Path:
    """`KLAVIYO_TOOLKIT_DB` when set, else `./klaviyo_toolkit.duckdb`."""
    return Path(os.environ.get(DB_ENV) or DEFAULT_DB)


class Store:
    """One DuckDB file, opened briefly for each unit of work."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
    ) -> None:
        self.path = Path(path)
        self.busy_timeout = busy_timeout
        self._migrated = False

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A fresh connection, closed on exit, after bringing the schema up to date."""
        with CONNECTION_LOCK:
            if not self._migrated:
                self._migrate()
            con = self._open()
            try:
                yield con
            except duckdb.Error as error:
                raise _translate(error, self.path) from error
            finally:
                con.close()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection in one transaction: commit on success, roll back on error."""
        with self.connect() as con:
            con.begin()
            try:
                yield con
            except BaseException:
                con.rollback()
                raise
            con.commit()

    def protect(self) -> None:
        """Make the file (and its WAL) readable by its owner alone: it holds a key."""
        for candidate in (self.path, self.path.with_name(self.path.name + ".wal")):
            if candidate.exists():
                candidate.chmod(stat.S_IRUSR | stat.S_IWUSR)

    def schema_version(self) -> int:
        with self.connect() as con:
            value = scalar(con, "SELECT value FROM meta WHERE key = 'schema_version'")
        return int(str(value)) if value is not None else 0

    def _open(self) -> duckdb.DuckDBPyConnection:
        deadline = time.monotonic() + self.busy_timeout
        backoff = _FIRST_BACKOFF
        while True:
            try:
                con = duckdb.connect(str(self.path))
                con.execute("SET TimeZone = 'UTC'")
                return con
            except duckdb.IOException as error:
                if "lock" not in str(error).lower():
                    raise _translate(error, self.path) from error
                if time.monotonic() >= deadline:
                    raise StoreBusy(
                        f"The database {self.path} is held by another process "
                        f"(waited {self.busy_timeout:g} s); try again when it is done."
                    ) from None
                log.debug(
                    "database %s is locked, retrying in %.3f s", self.path, backoff
                )
                time.sleep(backoff * (0.5 + random.random()))
                backoff = min(backoff * 2, _MAX_BACKOFF)
            except duckdb.Error as error:
                raise _translate(error, self.path) from error

    def _migrate(self) -> None:
        if self.path.parent and not self.path.parent.exists():
            raise StoreError(
                f"The folder {self.path.parent} for the database does not exist."
            )
        con = self._open()
        try:
            con.execute(
                "CREATE TABLE IF NOT EXISTS meta"
                " (key VARCHAR PRIMARY KEY, value VARCHAR)"
            )
            value = scalar(con, "SELECT value FROM meta WHERE key = 'schema_version'")
            current = int(str(value)) if value is not None else 0
            if current > SCHEMA_VERSION:
                raise StoreError(
                    f"The database {self.path} was written by a newer klaviyo-toolkit "
                    f"(schema {current}, this one knows {SCHEMA_VERSION}); "
                    "upgrade first."
                )
            for version in range(current, SCHEMA_VERSION):
                self._apply(con, version)
        except duckdb.Error as error:
            raise _translate(error, self.path) from error
        finally:
            con.close()
        self._migrated = True

    def _apply(self, con: duckdb.DuckDBPyConnection, version: int) -> None:
        con.begin()
        con.execute(MIGRATIONS[version])
        con.execute(
            "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)",
            [str(version + 1)],
        )
        con.commit()
        log.info("migrated %s to schema version %d", self.path, version + 1)


def _translate(error: duckdb.Error, path: Path) -> StoreError:
    """Say in one sentence what went wrong with the file, DuckDB's own words last."""
    detail = str(error).splitlines()[0] if str(error) else type(error).__name__
    if isinstance(error, duckdb.IOException):
        return StoreError(f"The database {path} cannot be used: {detail}")
    return StoreError(f"A query on {path} failed: {detail}")
