"""Action pages and their teams.

Anedot tags pages, not submissions, with teams, and a submission rarely names its team;
so a team-scoped integration needs to know each page's team. Pages are recorded as
submissions arrive, and their teams come from a file (`pages import`) or a call
(`set_page_team`); a team set that way is never overwritten by what a later submission
says.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import polars as pl

from .errors import InputError
from .store import Store, frame

__all__ = ["import_pages", "list_pages", "set_page_team"]

_ID_KEYS = ("page_id", "id", "action_page_id", "actionPageId")


def import_pages(store: Store, path: str | Path) -> int:
    """Upsert the pages (id, name, team) of a CSV or JSON list; return the count."""
    rows = _read(Path(path))
    with store.transaction() as con:
        for row in rows:
            con.execute(
                """INSERT INTO action_pages VALUES (?, ?, ?, ?, ?, 'import')
                   ON CONFLICT (page_id) DO UPDATE SET
                     name = coalesce(excluded.name, action_pages.name),
                     account_uid = coalesce(excluded.account_uid,
                     action_pages.account_uid),
                     account_name = coalesce(excluded.account_name,
                     action_pages.account_name),
                     team = excluded.team, team_source = 'import'""",
                [
                    row["page_id"],
                    row.get("name"),
                    row.get("account_uid"),
                    row.get("account"),
                    row.get("team"),
                ],
            )
    return len(rows)


def set_page_team(store: Store, page_id: str, team: str | None) -> None:
    """Tag one page with a team (None removes the tag)."""
    with store.transaction() as con:
        con.execute(
            """INSERT INTO action_pages (page_id, team, team_source)
               VALUES (?, ?, 'manual')
               ON CONFLICT (page_id)
               DO UPDATE SET team = excluded.team, team_source = 'manual'""",
            [page_id, team],
        )


def list_pages(store: Store) -> pl.DataFrame:
    with store.connect() as con:
        return frame(
            con,
            """SELECT p.page_id, p.name, p.account_name, p.team, p.team_source,
                      count(s.submission_id) AS submissions
               FROM action_pages p LEFT JOIN submissions s ON s.action_page_id =
               p.page_id
               GROUP BY ALL ORDER BY p.account_name, p.name""",
        )


def _read(path: Path) -> list[dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise InputError(
            f"{path} cannot be read: {error.strerror or error}."
        ) from error

    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise InputError(
                f"{path} is not valid JSON (line {error.lineno})."
            ) from None
        records = data if isinstance(data, list) else [data]
    else:
        records = list(csv.DictReader(text.splitlines()))
    return [
        _page(record, path, number) for number, record in enumerate(records, start=1)
    ]


def _page(record: object, path: Path, number: int) -> dict[str, Any]:
    if not isinstance(record, dict):
        raise InputError(
            f"{path}, record {number}: a page must be an object with an id."
        )
    page_id = next((str(record[k]).strip() for k in _ID_KEYS if record.get(k)), "")
    if not page_id:
        raise InputError(
            f"{path}, record {number}: no page id (a column page_id or id is needed)."
        )
    team = (record.get("team") or "").strip() or None
    return {
        "page_id": page_id,
        "name": record.get("name") or None,
        "account": record.get("account") or record.get("account_name") or None,
        "account_uid": record.get("account_uid") or None,
        "team": team,
    }
