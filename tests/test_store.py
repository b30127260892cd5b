from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from klaviyo_toolkit import StoreBusy, StoreError, Toolkit
from klaviyo_toolkit.store import SCHEMA_VERSION, Store, scalar

from .conftest import GOOD_KEY, held_elsewhere


def test_a_new_file_gets_every_table_and_the_schema_version(tmp_path: Path) -> None:
    store = Store(tmp_path / "new.duckdb")

    with store.connect() as con:
        tables = {row[0] for row in con.execute("SHOW TABLES").fetchall()}

    assert {
        "submissions",
        "integrations",
        "relay_attempts",
        "action_pages",
        "quarantine",
    } <= tables
    assert store.schema_version() == SCHEMA_VERSION


def test_a_file_from_a_newer_version_is_refused_not_broken(tmp_path: Path) -> None:
    path = tmp_path / "future.duckdb"
    with Store(path).transaction() as con:
        con.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")

    with pytest.raises(StoreError, match="newer klaviyo-toolkit"):
        Store(path).schema_version()


def test_a_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="does not exist"):
        Store(tmp_path / "nowhere" / "x.duckdb").schema_version()


def test_a_transaction_rolls_back_on_error(tmp_path: Path) -> None:
    store = Store(tmp_path / "t.duckdb")

    with pytest.raises(RuntimeError), store.transaction() as con:
        con.execute("INSERT INTO meta VALUES ('probe', 'x')")
        raise RuntimeError("boom")

    with store.connect() as con:
        assert scalar(con, "SELECT count(*) FROM meta WHERE key = 'probe'") == 0


def test_a_file_held_by_another_process_gives_store_busy(tmp_path: Path) -> None:
    path = tmp_path / "held.duckdb"
    Store(path).schema_version()
    with held_elsewhere(path), pytest.raises(StoreBusy, match="held by another"):
        Store(path, busy_timeout=0.2).schema_version()

    assert Store(path).schema_version() == SCHEMA_VERSION


def test_a_file_that_holds_a_key_is_readable_by_its_owner_alone(tmp_path: Path) -> None:
    tk = Toolkit(tmp_path / "keys.duckdb")

    tk.add_integration("main", api_key=GOOD_KEY, base_url="http://127.0.0.1:9")

    mode = stat.S_IMODE(os.stat(tk.path).st_mode)
    assert mode == 0o600
