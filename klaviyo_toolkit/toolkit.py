"""`Toolkit`: the one object the CLI, the TUI, the notebook and scripts all talk to."""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
from collections.abc import Coroutine, Iterable, Sequence
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal, TypedDict, TypeVar, Unpack

import polars as pl

from . import integrations as registry
from . import pages as page_registry
from .errors import ConfigError
from .ingest import (
    FileReport,
    IngestReport,
    Progress,
    expand_paths,
    ingest_bodies,
    ingest_files,
)
from .integrations import Integration
from .mapping import map_submissions, mapping_table
from .relay import ProgressCallback, PushOptions, PushReport, run_push
from .scope import Mode, Selection, parse_moment, scope_query
from .settings import (
    DEFAULT_BASE_URL,
    DEFAULT_FAILURE_THRESHOLD,
    ApiKey,
    IntegrationSettings,
    ValueUnit,
    parse_page_ids,
)
from .status import integration_status, recent_attempts
from .store import DEFAULT_BUSY_TIMEOUT, Store, default_db_path, frame

__all__ = ["PushArguments", "Toolkit"]

T = TypeVar("T")


class PushArguments(TypedDict, total=False):
    """The keyword arguments of `Toolkit.push` and `Toolkit.push_async`."""

    mode: Mode
    since: str | date | datetime | None
    until: str | date | datetime | None
    kind: Literal["donation", "lead"] | None
    payment_status: str | None
    pages: str | Iterable[str] | None
    submission_ids: Iterable[str] | None
    dry_run: bool
    bulk: bool | None
    options: PushOptions | None
    progress: ProgressCallback | None


Moment = str | date | datetime | None


class Toolkit:
    """Submissions, integrations and relays kept in one DuckDB file.

    >>> tk = Toolkit("relay.duckdb")
    >>> tk.ingest("exports/*.jsonl")
    >>> tk.add_integration("main", api_key_env="KLAVIYO_KEY", excluded_pages="12,34")
    >>> tk.push("main", mode="unsent")
    """

    def __init__(
        self,
        db: str | os.PathLike[str] | None = None,
        *,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
    ) -> None:
        self.store = Store(
            db if db is not None else default_db_path(), busy_timeout=busy_timeout
        )

    def __repr__(self) -> str:
        return f"Toolkit({str(self.store.path)!r})"

    @property
    def path(self) -> Path:
        return self.store.path

    # Submissions
    # -----------------------------------------------------------------------

    def ingest(
        self, *paths: str | os.PathLike[str], progress: Progress | None = None
    ) -> IngestReport:
        """Store the submissions in these files (globs allowed); quarantine bad rows."""
        if not paths:
            raise ConfigError("Name at least one file to ingest.")
        return ingest_files(self.store, expand_paths(paths), progress=progress)

    def ingest_bodies(
        self, bodies: Sequence[bytes], *, source: str = "webhook"
    ) -> FileReport:
        """Store raw webhook bodies, one submission each."""
        return ingest_bodies(self.store, bodies, source=source)

    def submissions(
        self,
        *,
        integration: str | None = None,
        mode: Mode = "all",
        since: Moment = None,
        until: Moment = None,
        kind: Literal["donation", "lead"] | None = None,
        limit: int | None = None,
    ) -> pl.DataFrame:
        """Stored submissions, within an integration's scope when one is named."""
        selection = _selection(mode, since, until, kind=kind)
        with self.store.connect() as con:
            if integration is None:
                sql, params = _plain_query(selection)
            else:
                sql, params = scope_query(
                    self.integration(integration).settings, selection, columns="s.*"
                )
            if limit is not None:
                sql += f" LIMIT {int(limit)}"
            return frame(con, sql, params)

    def quarantine(self, *, limit: int = 1_000) -> pl.DataFrame:
        """Rows that could not be ingested, newest first, with their reasons."""
        with self.store.connect() as con:
            return frame(
                con,
                "SELECT * FROM quarantine"
                " ORDER BY quarantined_at DESC, source, line LIMIT ?",
                params=[limit],
            )

    def preview(
        self,
        integration: str | None = None,
        *,
        submission_ids: Iterable[str] | None = None,
        mode: Mode = "all",
        since: Moment = None,
        until: Moment = None,
        limit: int = 20,
        value_unit: ValueUnit | None = None,
    ) -> pl.DataFrame:
        """The bodies a push would send (and the rejections), sending nothing."""
        ids = tuple(submission_ids) if submission_ids is not None else None
        selection = _selection(mode, since, until, submission_ids=ids)
        unit: ValueUnit = value_unit or "cents"
        if integration is not None:
            settings = self.integration(integration).settings
            unit = value_unit or settings.value_unit
            sql, params = scope_query(settings, selection, columns="s.*")
        else:
            sql, params = _plain_query(selection)
        with self.store.connect() as con:
            rows = frame(con, f"{sql} LIMIT {int(limit)}", params)
        return map_submissions(rows, value_unit=unit)

    @staticmethod
    def mapping_table() -> pl.DataFrame:
        return mapping_table()

    # Pages
    # -----------------------------------------------------------------------------

    def import_pages(self, path: str | os.PathLike[str]) -> int:
        return page_registry.import_pages(self.store, Path(path))

    def set_page_team(self, page_id: str, team: str | None) -> None:
        (checked,) = parse_page_ids([page_id], what="page")
        page_registry.set_page_team(self.store, checked, team)

    def pages(self) -> pl.DataFrame:
        return page_registry.list_pages(self.store)

    # Integrations
    # ----------------------------------------------------------------------

    def add_integration(
        self,
        name: str,
        *,
        api_key_env: str | None = None,
        api_key: str | None = None,
        pages: str | Iterable[str] | None = None,
        excluded_pages: str | Iterable[str] | None = None,
        team: str | None = None,
        account: str | None = None,
        base_url: str = DEFAULT_BASE_URL,
        value_unit: ValueUnit = "cents",
        failure_threshold: int = DEFAULT_FAILURE_THRESHOLD,
    ) -> Integration:
        """Register an integration; `pages=None` (or 'all') relays every page."""
        settings = IntegrationSettings(
            name=name,
            api_key_env=api_key_env,
            api_key=ApiKey(api_key) if api_key is not None else None,
            pages=_pages(pages),
            excluded_pages=parse_page_ids(excluded_pages, what="excluded page"),
            team=(team or None),
            account=(account or None),
            base_url=base_url,
            value_unit=value_unit,
            failure_threshold=failure_threshold,
        )
        return registry.add(self.store, settings)

    def update_integration(self, name: str, **changes: Any) -> Integration:
        """Change scope, key, base URL or value unit; state (streak, active) is kept."""
        if "pages" in changes:
            changes["pages"] = _pages(changes["pages"])
        if "excluded_pages" in changes:
            changes["excluded_pages"] = parse_page_ids(
                changes["excluded_pages"], what="excluded page"
            )
        if changes.get("api_key") is not None:
            changes["api_key"] = ApiKey(changes["api_key"])
            changes.setdefault("api_key_env", None)
        elif changes.get("api_key_env") is not None:
            changes.setdefault("api_key", None)
        for optional in ("team", "account"):
            if optional in changes:
                changes[optional] = changes[optional] or None
        unknown = (
            set(changes) - set(IntegrationSettings.__dataclass_fields__) - {"name"}
        )
        if unknown or "name" in changes:
            raise ConfigError(
                "These settings cannot be changed: "
                f"{', '.join(sorted(unknown | ({'name'} & set(changes))))}."
            )
        return registry.update(self.store, name, **changes)

    def remove_integration(self, name: str, *, keep_attempts: bool = True) -> None:
        registry.remove(self.store, name, keep_attempts=keep_attempts)

    def integrations(self) -> list[Integration]:
        return registry.list_all(self.store)

    def integration(self, name: str) -> Integration:
        return registry.get(self.store, name)

    def reactivate(self, name: str) -> Integration:
        """Turn an inactive integration back on, its failure streak back to zero."""
        return registry.set_active(self.store, name, active=True)

    def pause(self, name: str, *, reason: str = "paused by hand") -> Integration:
        return registry.set_active(self.store, name, active=False, reason=reason)

    # Relays
    # ----------------------------------------------------------------------------

    def push(self, name: str, **arguments: Unpack[PushArguments]) -> PushReport:
        """Send an integration's unsent (or all) in-scope submissions to Klaviyo.

        The arguments are those of `push_async`: `mode`, `since`, `until`, `kind`,
        `payment_status`, `pages`, `submission_ids`, `dry_run`, `bulk`, `options` and
        `progress`.
        """
        return _run(self.push_async(name, **arguments))

    async def push_async(
        self,
        name: str,
        *,
        mode: Mode = "unsent",
        since: Moment = None,
        until: Moment = None,
        kind: Literal["donation", "lead"] | None = None,
        payment_status: str | None = None,
        pages: str | Iterable[str] | None = None,
        submission_ids: Iterable[str] | None = None,
        dry_run: bool = False,
        bulk: bool | None = None,
        options: PushOptions | None = None,
        progress: ProgressCallback | None = None,
    ) -> PushReport:
        """`push` for callers that already run an event loop (TUI, webhook server)."""
        selection = _selection(
            mode,
            since,
            until,
            kind=kind,
            payment_status=payment_status,
            pages=tuple(parse_page_ids(pages, what="page"))
            if pages is not None
            else None,
            submission_ids=tuple(submission_ids)
            if submission_ids is not None
            else None,
        )
        chosen = options or PushOptions()
        chosen = replace(
            chosen,
            dry_run=dry_run or chosen.dry_run,
            bulk=bulk if bulk is not None else chosen.bulk,
        )
        return await run_push(
            self.store, self.integration(name), selection, chosen, progress=progress
        )

    def status(self) -> pl.DataFrame:
        """Every integration with its state and delivered / failed / unsent counts."""
        return integration_status(self.store)

    def attempts(
        self,
        integration: str | None = None,
        *,
        outcome: str | None = None,
        limit: int = 200,
    ) -> pl.DataFrame:
        """The newest relay attempts first."""
        return recent_attempts(
            self.store, integration=integration, outcome=outcome, limit=limit
        )


def _pages(value: str | Iterable[str] | None) -> tuple[str, ...] | None:
    if value is None or (
        isinstance(value, str) and value.strip().lower() in ("", "all")
    ):
        return None
    return parse_page_ids(value, what="page")


def _selection(mode: Mode, since: Moment, until: Moment, **narrowing: Any) -> Selection:
    return Selection(
        mode=mode,
        since=parse_moment(since),
        until=parse_moment(until, end=True),
        **narrowing,
    )


def _plain_query(selection: Selection) -> tuple[str, list[object]]:
    """Every stored submission, narrowed by the selection but by no integration."""
    everything = IntegrationSettings(name="(all)", api_key_env="UNUSED")
    return scope_query(everything, replace(selection, mode="all"), columns="s.*")


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run to completion, also from inside a running loop (a Jupyter kernel has one)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
