"""`klaviyo-tui`: the command and the package's public surface."""

from __future__ import annotations

from pathlib import Path

import klaviyo_tui
import pytest
from klaviyo_tui import app as app_module
from klaviyo_tui.app import KlaviyoTui, main


def test_the_package_exports_the_app_and_its_command() -> None:
    assert klaviyo_tui.__all__ == ["KlaviyoTui", "main"]
    assert all(hasattr(klaviyo_tui, name) for name in klaviyo_tui.__all__)


def _runs(monkeypatch: pytest.MonkeyPatch) -> list[KlaviyoTui]:
    started: list[KlaviyoTui] = []
    monkeypatch.setattr(KlaviyoTui, "run", lambda self: started.append(self))
    return started


def test_the_command_watches_the_store_it_is_given(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    started = _runs(monkeypatch)

    assert main(["--db", str(tmp_path / "relay.duckdb")]) == 0

    (app,) = started
    assert app.db == tmp_path / "relay.duckdb"
    assert app.demo is None


def test_the_demo_gets_a_fresh_file_and_says_where_it_is(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    started = _runs(monkeypatch)
    monkeypatch.setattr(app_module, "demo_db_path", lambda: tmp_path / "demo.duckdb")

    assert main(["--demo"]) == 0

    (app,) = started
    assert app.demo is not None
    assert app.db == tmp_path / "demo.duckdb"
    assert f"kept at {tmp_path / 'demo.duckdb'}" in capsys.readouterr().out
