"""Fixtures for the TUI: a relayed store copied per test, a fixed one, the app."""

from __future__ import annotations

from pathlib import Path

import pytest
from klaviyo_tui.app import KlaviyoTui

from klaviyo_toolkit import Clock, Toolkit
from klaviyo_toolkit.simulator import Simulator

from ..conftest import FAST, REVOKED_KEY
from .stores import build_fixed, build_seeded, copy_store

SIZE = (140, 44)
"""Terminal size of the pilot tests: wide enough for every column of the tables."""
NEVER = 3600.0
"""A poll interval no test reaches: tests refresh when they choose to."""


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("seeded") / "template.duckdb"
    clock = Clock(FAST)
    with Simulator(clock=clock, revoked_keys=[REVOKED_KEY], seed=1) as simulator:
        build_seeded(path, simulator.base_url, clock)
    return path


@pytest.fixture
def seeded(seeded_template: Path, tmp_path: Path, simulator: Simulator) -> Toolkit:
    """The relayed store, its integrations pointed at this test's simulator."""
    return copy_store(seeded_template, tmp_path / "relay.duckdb", simulator.base_url)


@pytest.fixture
def fixed_db(tmp_path: Path) -> Path:
    return build_fixed(tmp_path)


@pytest.fixture
def app(seeded: Toolkit, clock: Clock) -> KlaviyoTui:
    return KlaviyoTui(seeded.path, clock=clock, poll_interval=NEVER)
