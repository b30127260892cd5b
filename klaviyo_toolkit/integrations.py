"""Integrations in the store: their settings and their relay state.

Settings are what a person chose (scope, key source, base URL); state is what relaying
did to them (active or not, the failure streak, the last success and error). Both live
in one row of `integrations`, and this module is the only one that reads or writes that
table.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import duckdb

from .errors import AlreadyExists, NotFound
from .settings import ApiKey, IntegrationSettings
from .store import Store, scalar

__all__ = [
    "Integration",
    "add",
    "get",
    "list_all",
    "read_all",
    "remove",
    "set_active",
    "update",
]

_COLUMNS = (
    "name, api_key_env, api_key, key_hint, base_url, pages, excluded_pages, team, "
    "account, value_unit, failure_threshold, active, consecutive_failures, "
    "inactive_since, inactive_reason, last_success_at, last_error, created_at, "
    "updated_at"
)


@dataclass(frozen=True)
class Integration:
    """An integration's settings and its relay state, as stored."""

    settings: IntegrationSettings
    active: bool = True
    consecutive_failures: int = 0
    inactive_since: datetime | None = None
    inactive_reason: str | None = None
    last_success_at: datetime | None = None
    last_error: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def name(self) -> str:
        return self.settings.name

    def as_dict(self) -> dict[str, Any]:
        """Everything a report may show: the key only as its hint."""
        s = self.settings
        return {
            "name": s.name,
            "key": s.key_hint,
            "base_url": s.base_url,
            "pages": list(s.pages) if s.pages is not None else "all",
            "excluded_pages": list(s.excluded_pages),
            "team": s.team,
            "account": s.account,
            "value_unit": s.value_unit,
            "failure_threshold": s.failure_threshold,
            "active": self.active,
            "consecutive_failures": self.consecutive_failures,
            "inactive_since": _iso(self.inactive_since),
            "inactive_reason": self.inactive_reason,
            "last_success_at": _iso(self.last_success_at),
            "last_error": self.last_error,
        }


def add(store: Store, settings: IntegrationSettings) -> Integration:
    with store.transaction() as con:
        if _exists(con, settings.name):
            raise AlreadyExists(
                f"An integration named {settings.name!r} exists already; choose "
                "another name or change it with 'integration update'."
            )
        con.execute(
            f"""INSERT INTO integrations ({_COLUMNS}) VALUES
            (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
             true, 0, NULL, NULL, NULL, NULL, now(), now())""",
            _settings_values(settings),
        )
    if settings.api_key is not None:
        store.protect()
    return get(store, settings.name)


def update(store: Store, name: str, **changes: Any) -> Integration:
    """Change settings; a key change (or a scope change) leaves the state as it is."""
    current = get(store, name)
    settings = replace(current.settings, **changes)
    with store.transaction() as con:
        con.execute(
            """UPDATE integrations SET api_key_env = ?, api_key = ?, key_hint = ?,
               base_url = ?, pages = ?, excluded_pages = ?, team = ?, account = ?,
               value_unit = ?, failure_threshold = ?, updated_at = now()
               WHERE name = ?""",
            [*_settings_values(settings)[1:], name],
        )
    if settings.api_key is not None:
        store.protect()
    return get(store, name)


def get(store: Store, name: str) -> Integration:
    with store.connect() as con:
        rows = con.execute(
            f"SELECT {_COLUMNS} FROM integrations WHERE name = ?", [name]
        ).fetchall()
    if not rows:
        raise NotFound(
            f"There is no integration named {name!r}; "
            "'klaviyo-toolkit integration list' shows the ones there are."
        )
    return _from_row(rows[0])


def list_all(store: Store) -> list[Integration]:
    with store.connect() as con:
        return read_all(con)


def read_all(con: duckdb.DuckDBPyConnection) -> list[Integration]:
    """Every integration, on a connection the caller already holds."""
    rows = con.execute(f"SELECT {_COLUMNS} FROM integrations ORDER BY name").fetchall()
    return [_from_row(row) for row in rows]


def remove(store: Store, name: str, *, keep_attempts: bool = True) -> None:
    get(store, name)
    with store.transaction() as con:
        con.execute("DELETE FROM integrations WHERE name = ?", [name])
        if not keep_attempts:
            con.execute("DELETE FROM relay_attempts WHERE integration = ?", [name])


def set_active(
    store: Store, name: str, *, active: bool, reason: str | None = None
) -> Integration:
    """Reactivate (streak back to zero) or pause an integration by hand."""
    get(store, name)
    with store.transaction() as con:
        if active:
            con.execute(
                """UPDATE integrations SET active = true, consecutive_failures = 0,
                   inactive_since = NULL, inactive_reason = NULL, updated_at = now()
                   WHERE name = ?""",
                [name],
            )
        else:
            con.execute(
                """UPDATE integrations SET active = false, inactive_since = now(),
                   inactive_reason = ?, updated_at = now() WHERE name = ?""",
                [reason or "paused by hand", name],
            )
    return get(store, name)


def _exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(scalar(con, "SELECT count(*) FROM integrations WHERE name = ?", [name]))


def _settings_values(s: IntegrationSettings) -> list[object]:
    return [
        s.name,
        s.api_key_env,
        s.api_key.reveal() if s.api_key is not None else None,
        s.key_hint,
        s.base_url,
        json.dumps(list(s.pages)) if s.pages is not None else None,
        json.dumps(list(s.excluded_pages)),
        s.team,
        s.account,
        s.value_unit,
        s.failure_threshold,
    ]


def _from_row(row: tuple[Any, ...]) -> Integration:
    (
        name,
        api_key_env,
        api_key,
        _hint,
        base_url,
        pages,
        excluded,
        team,
        account,
        value_unit,
        threshold,
        active,
        failures,
        inactive_since,
        inactive_reason,
        last_success_at,
        last_error,
        created_at,
        updated_at,
    ) = row
    settings = IntegrationSettings(
        name=name,
        api_key_env=api_key_env,
        api_key=ApiKey(api_key) if api_key is not None else None,
        pages=tuple(json.loads(pages)) if pages is not None else None,
        excluded_pages=tuple(json.loads(excluded)),
        team=team,
        account=account,
        base_url=base_url,
        value_unit=value_unit,
        failure_threshold=threshold,
    )
    return Integration(
        settings=settings,
        active=bool(active),
        consecutive_failures=int(failures),
        inactive_since=inactive_since,
        inactive_reason=inactive_reason,
        last_success_at=last_success_at,
        last_error=last_error,
        created_at=created_at,
        updated_at=updated_at,
    )


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None
