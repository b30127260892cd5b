"""Stores for the TUI tests: one relayed for real, one written by hand to the second.

`build_seeded` ingests the sample and pushes through the simulator on a fast clock, as
an operator's store would come to be. `build_fixed` writes every row, timestamps
included, so that a snapshot of it is the same on every run and every day.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl

from klaviyo_toolkit import Clock, PushOptions, Toolkit
from klaviyo_toolkit.demo import sample_files

from ..conftest import GOOD_KEY, REVOKED_KEY, camel, write_jsonl

FLAKY_KEY = "pk_test000000000000000000000000flaky"
"""The key of `flaky`, which the simulator accepts; tests inject faults to fail it."""
NAMES = ("field-team", "flaky", "revoked-key")

NOW = datetime(2026, 4, 1, 12, 5, tzinfo=UTC)
"""The frozen `now` of the fixed store's snapshots."""
FIELD_KEY = "pk_fixed000000000000000000000fieldteam"
OLD_KEY = "pk_fixed0000000000000000000000000oldkey"


def build_seeded(path: Path, base_url: str, clock: Clock) -> None:
    """The sample, three integrations, and pushes for two of them.

    `field-team` relays the Field team's pages (all delivered), `revoked-key` one page
    with a key the simulator refuses (inactive after five failures), and `flaky` the
    Tribute Gifts page, not pushed yet: the tests fail it or push it.
    """
    tk = Toolkit(path)
    folder = sample_files()
    tk.ingest(folder / "submissions.jsonl")
    tk.import_pages(folder / "pages.csv")
    pages = tk.pages()

    tk.add_integration("field-team", api_key=GOOD_KEY, team="Field", base_url=base_url)
    tk.add_integration(
        "flaky",
        api_key=FLAKY_KEY,
        pages=_page(pages, "Tribute Gifts"),
        base_url=base_url,
    )
    tk.add_integration(
        "revoked-key",
        api_key=REVOKED_KEY,
        pages=_page(pages, "General Donation"),
        base_url=base_url,
    )
    for name in ("field-team", "revoked-key"):
        tk.push(name, options=PushOptions(clock=clock))


def copy_store(template: Path, target: Path, base_url: str) -> Toolkit:
    """A copy of a seeded store whose integrations send to `base_url`."""
    shutil.copy(template, target)
    wal = template.with_name(template.name + ".wal")
    if wal.exists():
        shutil.copy(wal, target.with_name(target.name + ".wal"))
    tk = Toolkit(target)
    for name in NAMES:
        tk.update_integration(name, base_url=base_url)
    return tk


def _page(pages: pl.DataFrame, name: str) -> str:
    return str(pages.filter(pl.col("name") == name).item(0, "page_id"))


def build_fixed(folder: Path) -> Path:
    """A small store with fixed rows and times; see `NOW`."""
    path = folder / "fixed.duckdb"
    tk = Toolkit(path)
    tk.ingest(write_jsonl(folder / "fixed.jsonl", _submissions()))
    tk.set_page_team("page-2", "Field")

    tk.add_integration("main", api_key_env="KLAVIYO_MAIN_KEY")
    tk.add_integration(
        "field-team", api_key=FIELD_KEY, team="Field", excluded_pages="page-3"
    )
    tk.add_integration("old-key", api_key=OLD_KEY, pages="page-1")

    with tk.store.transaction() as con:
        con.executemany(
            "INSERT INTO relay_attempts VALUES "
            "(?, ?, 'fixed', ?, ?, ?, 'unsent', ?, ?, ?, ?, ?, 40.0)",
            _attempts(),
        )
        for state in _states():
            con.execute(
                """UPDATE integrations SET active = ?, consecutive_failures = ?,
                   inactive_since = ?, inactive_reason = ?, last_success_at = ?,
                   last_error = ?, created_at = ?, updated_at = ? WHERE name = ?""",
                state,
            )
    return path


def _submissions() -> list[object]:
    rows: list[object] = []
    for i in range(42):
        fields: dict[str, object] = {
            "actionPageId": f"page-{i % 3 + 1}",
            "actionPageName": ("Spring appeal", "Field canvass", "Gala")[i % 3],
            "createdAt": f"2026-03-{25 + i % 7:02d}T{10 + i % 8:02d}:00:00Z",
        }
        if i % 10 == 9:
            fields["email"] = None
        rows.append(camel(f"sub-{i:03d}", **fields))
    return rows


Error = tuple[str | None, str | None, str | None]
NO_ERROR: Error = (None, None, None)
UNAVAILABLE: Error = ("service_unavailable", "Service Unavailable", "Try again later.")
NOT_AUTHENTICATED: Error = (
    "not_authenticated",
    "Authentication credentials were not provided.",
    "Missing or invalid private key.",
)
SERVER_ERROR: Error = ("error", "A server error occurred.", "Something went wrong.")
THROTTLED: Error = ("throttled", "Request was throttled.", "Retry after 1 s.")
NOT_SENDABLE: Error = ("rejected", "Not sendable to Klaviyo", "no email or phone")
START = datetime(2026, 4, 1, 11, 20, tzinfo=UTC)


def _described(status: int, error: Error) -> str:
    return f"{status}: " + " - ".join(part for part in error if part)


def _attempts() -> list[list[object]]:
    """Rows of `relay_attempts`, each at its own second so that the order is fixed."""
    rows: list[list[object]] = []

    def add(
        name: str, sub: int, minute: float, status: int | None, error: Error = NO_ERROR
    ) -> None:
        outcome = {None: "rejected", 202: "delivered", 429: "throttled"}.get(
            status, "failed"
        )
        moment = START + timedelta(seconds=round(minute * 60))
        request = f"{name}-{len(rows):03d}"
        rows.append(
            [name, f"sub-{sub:03d}", request, moment, "event", status, outcome, *error]
        )

    for i in range(30):
        if i % 10 == 9:
            add("main", i, i * 1.3, None, NOT_SENDABLE)
        else:
            add("main", i, i * 1.3 + 0.2, 202)
    add("main", 30, 25.1, 429, THROTTLED)
    for k in range(3):
        add("main", 31, 30 + k * 0.25, 503, UNAVAILABLE)
    add("main", 31, 31, 202)
    for i in range(1, 30, 3):
        add("field-team", i, 20 + i * 0.5, 202)
    add("field-team", 31, 41, 500, SERVER_ERROR)
    for k in range(5):
        add("old-key", k * 3, 38 + k * 0.2, 401, NOT_AUTHENTICATED)
    return rows


def _states() -> list[list[object]]:
    """Each integration's relay state, as the attempts above would have left it."""
    created = datetime(2026, 3, 20, 9, tzinfo=UTC)
    old_error = _described(401, NOT_AUTHENTICATED)
    return [
        [
            *(True, 0, None, None, START + timedelta(minutes=31)),
            *(_described(503, UNAVAILABLE), created, START, "main"),
        ],
        [
            *(True, 1, None, None, START + timedelta(minutes=34.5)),
            *(_described(500, SERVER_ERROR), created, START, "field-team"),
        ],
        [
            *(False, 5, START + timedelta(minutes=38.8)),
            f"5 failed relay attempts in a row; last: {old_error}",
            *(None, old_error, created, START, "old-key"),
        ],
    ]
