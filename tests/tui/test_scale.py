"""The app on a store with many attempts: aggregate reads only, the log a top-N."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from klaviyo_tui.app import KlaviyoTui
from klaviyo_tui.source import LOG_ROWS

from benchmarks.tui_refresh import NOW, build_store

from .conftest import NEVER, SIZE
from .helpers import log_rows, row_text, settle


@pytest.mark.parametrize(
    "attempts", [100_000, pytest.param(1_000_000, marks=pytest.mark.slow)]
)
async def test_a_large_store_shows_counts_and_the_newest_attempts(
    tmp_path: Path, attempts: int
) -> None:
    tk = build_store(tmp_path / "big.duckdb", attempts=attempts)
    expected = tk.status().row(by_predicate=pl.col("name") == "bench-0", named=True)
    app = KlaviyoTui(tk.path, now=lambda: NOW, poll_interval=NEVER)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)

        assert len(log_rows(pilot)) == LOG_ROWS
        assert f"{expected['delivered']:,}" in row_text(pilot, "bench-0")
        assert f"{expected['unsent']:,}" in row_text(pilot, "bench-0")
        assert app.errors == []
