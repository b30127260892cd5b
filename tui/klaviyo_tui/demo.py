"""`klaviyo-tui --demo`: the toolkit's demo, run live inside the app.

The store, the sample data and the three integrations are the core demo's
(`klaviyo_toolkit.demo`); what differs is that the simulator lives as long as the app,
so that a push started from the screen after the demo still reaches it, and that the
pushes run in the app's push worker, where the operator watches them stream.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from klaviyo_toolkit.clock import Clock
from klaviyo_toolkit.demo import (
    add_demo_integrations,
    demo_keys,
    prepare_demo_db,
    sample_files,
)
from klaviyo_toolkit.simulator import Simulator

__all__ = ["DEMO_SPEED", "LiveDemo", "demo_db_path"]

DEMO_SPEED = 1.0
"""Real time: the core demo hurries its clock, but here the operator should see the
revoked key's streak climb through its backoff pauses, one refresh at a time."""
REVOKED = "revoked-key"
SIMULATOR_SEED = 7


def demo_db_path() -> Path:
    """A fresh file in a new temporary folder, so the demo never touches real data."""
    return Path(tempfile.mkdtemp(prefix="klaviyo-tui-demo-")) / "demo.duckdb"


class LiveDemo:
    """A demo store and the simulator its integrations send to."""

    def __init__(self, db: Path, *, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self.simulator: Simulator | None = None

    def start(self) -> list[str]:
        """Build the store and start the simulator; return the integrations to push.

        Blocking (it ingests the sample), so the app calls it from a thread worker.
        """
        tk = prepare_demo_db(self.db)
        folder = sample_files()
        tk.ingest(folder / "submissions.jsonl", folder / "bad_rows.jsonl")
        tk.import_pages(folder / "pages.csv")

        self.simulator = Simulator(
            clock=self.clock, revoked_keys=[demo_keys()[REVOKED]], seed=SIMULATOR_SEED
        ).start()
        add_demo_integrations(tk, self.simulator.base_url)
        return [integration.name for integration in tk.integrations()]

    def stop(self) -> None:
        if self.simulator is not None:
            self.simulator.stop()
            self.simulator = None
