"""The demo: a fresh store, the sample data, the simulator, three integrations, a push.

It is the README's first command, so it must work on a fresh checkout with no Klaviyo
account: the simulator runs in a background thread on loopback and every key is made up.
The three integrations show the product's three stories: one that relays a whole account
(in bulk), one scoped to a team with exclusions (one event per request), and one whose
key Klaviyo refuses, which turns inactive after five failed attempts in a row.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from . import sample
from .clock import Clock
from .errors import ConfigError
from .ingest import IngestReport
from .relay import ProgressCallback, PushOptions, PushReport
from .simulator import Simulator
from .store import scalar
from .toolkit import Toolkit

__all__ = ["DEMO_DB", "DemoResult", "demo_keys", "run_demo"]

log = logging.getLogger(__name__)

DEMO_DB = "klaviyo_demo.duckdb"
DEMO_SPEED = 10.0
"""The demo's clock runs ten times faster: backoff pauses take a tenth of real time."""
SAMPLE_DIR = Path(__file__).resolve().parent.parent / "data" / "sample"

# Made-up keys in Klaviyo's private-key shape; the simulator treats the last as revoked.
_KEYS = {
    "all-of-foundation": "pk_demo0000000000000000000000foundation",
    "field-team": "pk_demo00000000000000000000000fieldteam",
    "revoked-key": "pk_demo0000000000000000000000revoked01",
}


@dataclass
class DemoResult:
    db: Path
    ingest: IngestReport
    pushes: list[PushReport] = field(default_factory=list)
    status: pl.DataFrame = field(default_factory=pl.DataFrame)
    accepted_events: int = 0


def demo_keys() -> dict[str, str]:
    """The demo's made-up keys, by integration name (for tests and the TUI's demo)."""
    return dict(_KEYS)


def prepare_demo_db(path: Path) -> Toolkit:
    """A fresh demo store at `path`; refuses to overwrite any file but a demo's."""
    if path.exists():
        tk = Toolkit(path)
        with tk.store.connect() as con:
            is_demo = scalar(con, "SELECT value FROM meta WHERE key = 'demo'") == "true"
        if not is_demo:
            raise ConfigError(
                f"{path} exists and is not a demo database; the demo starts from a "
                "fresh file, so give it another --db path."
            )
        path.unlink()
        path.with_name(path.name + ".wal").unlink(missing_ok=True)
    tk = Toolkit(path)
    with tk.store.transaction() as con:
        con.execute("INSERT OR REPLACE INTO meta VALUES ('demo', 'true')")
    return tk


def sample_files(folder: Path | None = None) -> Path:
    """The committed sample when it is there (a checkout), else one generated now."""
    if folder is None and (SAMPLE_DIR / "submissions.jsonl").exists():
        return SAMPLE_DIR
    target = folder or Path(tempfile.mkdtemp(prefix="klaviyo-demo-"))
    sample.write_sample(target)
    return target


def add_demo_integrations(tk: Toolkit, base_url: str) -> None:
    """The three integrations of the demo, against the simulator at `base_url`."""
    pages = tk.pages()
    foundation = pages.filter(pl.col("account_name") == sample.ACCOUNTS[0].name)
    field_pages = (
        pages.filter(pl.col("team") == "Field").get_column("page_id").to_list()
    )
    tk.add_integration(
        "all-of-foundation",
        api_key=_KEYS["all-of-foundation"],
        account=sample.ACCOUNTS[0].name,
        base_url=base_url,
    )
    tk.add_integration(
        "field-team",
        api_key=_KEYS["field-team"],
        team="Field",
        excluded_pages=field_pages[:1],
        base_url=base_url,
    )
    tk.add_integration(
        "revoked-key",
        api_key=_KEYS["revoked-key"],
        pages=foundation.get_column("page_id").to_list()[:2],
        base_url=base_url,
    )


def run_demo(
    db: Path = Path(DEMO_DB),
    *,
    progress_for: Callable[[str, int], ProgressCallback] | None = None,
    speed: float = DEMO_SPEED,
) -> DemoResult:
    """Run the whole demo; `progress_for(name, total)` gives each push a callback."""
    tk = prepare_demo_db(db)
    folder = sample_files()
    report = tk.ingest(folder / "submissions.jsonl", folder / "bad_rows.jsonl")
    tk.import_pages(folder / "pages.csv")
    result = DemoResult(db=db, ingest=report)

    clock = Clock(speed)
    with Simulator(
        clock=clock, revoked_keys=[_KEYS["revoked-key"]], seed=7
    ) as simulator:
        add_demo_integrations(tk, simulator.base_url)
        for integration in tk.integrations():
            name = integration.name
            total = tk.push(name, dry_run=True).selected
            callback = progress_for(name, total) if progress_for else None
            pushed = tk.push(name, options=PushOptions(clock=clock), progress=callback)
            result.pushes.append(pushed)
        result.accepted_events = len(simulator.unique_ids())

    result.status = tk.status()
    return result
