"""Pushes: scope, map, send, retry, record, and stop an integration that keeps failing.

A push takes the submissions in an integration's scope (see `scope`), maps them chunk by
chunk (see `mapping`), and sends them through one `KlaviyoClient`, one event per request
or in bulk jobs. The `StreakGate` applies the five-failures rule under concurrency, the
`AttemptLog` writes every attempt as it happens, and progress goes to a callback that
the faces draw. Semantics, from Anedot's integration and Klaviyo's API:

- 2xx: delivered, and the streak resets. 429: wait `Retry-After` and send again; neither
  a failure nor a success. Anything else (4xx, 5xx, timeout, dropped connection):
  failed, one more in the streak; retried with backoff when a retry can help (no answer,
  5xx).
- At the threshold the integration turns inactive at once and no further request goes
  out.
- A submission Klaviyo could never take (no email and no usable phone, a time out of
  range) is `rejected` here, never sent, and never counted as a relay failure.
- A bulk request that Klaviyo refuses as invalid is split in halves until the bad events
  are alone, so one bad row never costs a thousand good ones.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

import httpx
import polars as pl

from .attempts import Attempt, AttemptLog, IntegrationState
from .bulk import BulkBatch, bulk_batches
from .clock import SYSTEM_CLOCK, Clock
from .errors import IntegrationInactive
from .integrations import Integration
from .klaviyo import DEFAULT_TIMEOUT, KlaviyoClient, Response
from .mapping import map_submissions
from .scope import Selection, scope_query
from .store import Store, frame
from .streak import StreakGate

__all__ = [
    "BULK_THRESHOLD",
    "PushOptions",
    "PushProgress",
    "PushReport",
    "run_push",
]

log = logging.getLogger(__name__)

BULK_THRESHOLD = 1_000
"""A push of at least this many events uses the bulk endpoint unless told otherwise."""
CHUNK = 20_000
"""Submissions read from the store and mapped at a time: bounds memory on big pushes."""
MAPPING_COLUMNS = (
    "s.submission_id, s.kind, s.status, s.created_at, s.amount, s.email, "
    "s.first_name, s.last_name, s.phone, s.city, s.region, s.postal_code, "
    "s.country, s.utm_source, s.utm_medium, s.utm_campaign, s.utm_term, "
    "s.utm_content, s.source_code, s.account_name"
)
MAX_FAILURES_SAMPLE = 20
MAX_QUEUED = 4_000

Endpoint = Literal["single", "bulk"]


@dataclass(frozen=True)
class PushOptions:
    """How to push; the defaults are what a cron job wants."""

    dry_run: bool = False
    """Map, validate and count; send nothing and record nothing."""
    bulk: bool | None = None
    """True: bulk; False: one event per request; None: bulk from BULK_THRESHOLD on."""
    concurrency: int = 8
    """Requests in flight at once (bulk: at most 4); more only queue in the client."""
    max_attempts: int = 3
    """Tries per submission within one push, for failures a retry can help."""
    backfill: bool = False
    """Mark events as historical so that Klaviyo flows do not fire for them."""
    clock: Clock = SYSTEM_CLOCK
    timeout: httpx.Timeout | None = None
    transport: httpx.AsyncBaseTransport | None = None


@dataclass
class PushProgress:
    """Counts so far, handed to the progress callback after every result."""

    integration: str
    total: int
    delivered: int = 0
    failed: int = 0
    rejected: int = 0
    throttled: int = 0
    requests: int = 0
    streak: int = 0
    stopped: bool = False

    @property
    def done(self) -> int:
        return self.delivered + self.failed + self.rejected


@dataclass
class PushReport:
    """What a push did."""

    integration: str
    push_id: str
    mode: str
    endpoint: Endpoint
    dry_run: bool
    selected: int
    sendable: int = 0
    """Selected submissions that map to a valid event (the rest are rejected)."""
    delivered: int = 0
    failed: int = 0
    rejected: int = 0
    throttled: int = 0
    requests: int = 0
    not_sent: int = 0
    inactive: bool = False
    inactive_reason: str | None = None
    seconds: float = 0.0
    failures: list[dict[str, str]] = field(default_factory=list)
    rejections: list[dict[str, str]] = field(default_factory=list)

    @property
    def events_per_second(self) -> float:
        return self.delivered / self.seconds if self.seconds > 0 else 0.0

    def as_dict(self) -> dict[str, object]:
        return {
            "integration": self.integration,
            "push_id": self.push_id,
            "mode": self.mode,
            "endpoint": self.endpoint,
            "dry_run": self.dry_run,
            "selected": self.selected,
            "sendable": self.sendable,
            "delivered": self.delivered,
            "failed": self.failed,
            "rejected": self.rejected,
            "throttled": self.throttled,
            "requests": self.requests,
            "not_sent": self.not_sent,
            "inactive": self.inactive,
            "inactive_reason": self.inactive_reason,
            "seconds": round(self.seconds, 3),
            "failures": self.failures,
            "rejections": self.rejections,
        }


ProgressCallback = Callable[[PushProgress], None]


@dataclass
class _Work:
    """One request's worth of events and how many times it was tried."""

    ids: tuple[str, ...]
    payload: bytes
    batch: BulkBatch | None = None
    tries: int = 0
    holds_room: bool = False


async def run_push(
    store: Store,
    integration: Integration,
    selection: Selection,
    options: PushOptions = PushOptions(),
    *,
    progress: ProgressCallback | None = None,
) -> PushReport:
    """Push an integration's selected submissions; see the module docstring."""
    if not integration.active and not options.dry_run:
        raise IntegrationInactive(
            f"The integration {integration.name!r} is inactive"
            + (
                f" ({integration.inactive_reason})"
                if integration.inactive_reason
                else ""
            )
            + f"; reactivate it with 'klaviyo-toolkit integration reactivate "
            f"{integration.name}' before pushing."
        )
    key = None if options.dry_run else integration.settings.key()

    ids = await asyncio.to_thread(_select_ids, store, integration, selection)
    endpoint: Endpoint = "bulk" if _use_bulk(options.bulk, len(ids)) else "single"
    push = _Push(store, integration, selection, options, endpoint, len(ids), progress)
    log.info(
        "push %s for %s: %d selected, mode %s, %s endpoint%s",
        push.report.push_id,
        integration.name,
        len(ids),
        selection.mode,
        endpoint,
        " (dry run)" if options.dry_run else "",
    )

    if options.dry_run:
        await push.count_only(ids)
    else:
        assert key is not None
        client = KlaviyoClient(
            key,
            base_url=integration.settings.base_url,
            clock=options.clock,
            transport=options.transport,
            timeout=options.timeout or DEFAULT_TIMEOUT,
        )
        async with client:
            await push.send(ids, client)
    return push.finish()


def _use_bulk(choice: bool | None, count: int) -> bool:
    return choice if choice is not None else count >= BULK_THRESHOLD


def _select_ids(
    store: Store, integration: Integration, selection: Selection
) -> list[str]:
    sql, params = scope_query(integration.settings, selection)
    with store.connect() as con:
        return [row[0] for row in con.execute(sql, params).fetchall()]


def _load_chunk(store: Store, ids: Sequence[str]) -> pl.DataFrame:
    with store.connect() as con:
        con.register("chunk_ids", pl.DataFrame({"id": list(ids)}).to_arrow())
        rows = frame(
            con,
            f"""SELECT {MAPPING_COLUMNS} FROM submissions s
                JOIN chunk_ids c ON c.id = s.submission_id
                ORDER BY s.created_at, s.submission_id""",
        )
        con.unregister("chunk_ids")
    return rows


class _Push:
    """The state of one running push."""

    def __init__(
        self,
        store: Store,
        integration: Integration,
        selection: Selection,
        options: PushOptions,
        endpoint: Endpoint,
        total: int,
        progress: ProgressCallback | None,
    ) -> None:
        self.store = store
        self.settings = integration.settings
        self.options = options
        self.endpoint = endpoint
        self.progress_callback = progress
        self.started = time.perf_counter()
        self.report = PushReport(
            integration=integration.name,
            push_id=uuid.uuid4().hex[:12],
            mode=selection.mode,
            endpoint=endpoint,
            dry_run=options.dry_run,
            selected=total,
        )
        self.progress = PushProgress(
            integration.name, total, streak=integration.consecutive_failures
        )
        self.gate = StreakGate(
            threshold=self.settings.failure_threshold,
            streak=integration.consecutive_failures,
            concurrency=min(options.concurrency, 4)
            if endpoint == "bulk"
            else options.concurrency,
            clock=options.clock,
        )
        self.attempts = AttemptLog(
            store,
            integration=integration.name,
            push_id=self.report.push_id,
            mode=selection.mode,
        )
        self._last_error: str | None = None
        self._succeeded_since_flush = False
        self._delivered: set[str] = set()
        self._failed: dict[str, str] = {}
        # Bounds the events mapped but not yet finished, so a million-row push streams.
        self._room = asyncio.Semaphore(MAX_QUEUED if endpoint == "single" else 16)

    async def count_only(self, ids: list[str]) -> None:
        async for mapped in self._mapped_chunks(ids):
            self.report.sendable += mapped.filter(pl.col("status") == "ok").height
            self._note_rejections(mapped, record=False)
        self.report.not_sent = self.report.sendable

    async def send(self, ids: list[str], client: KlaviyoClient) -> None:
        queue: asyncio.Queue[_Work | None] = asyncio.Queue()
        try:
            async with asyncio.TaskGroup() as group:
                workers = [
                    group.create_task(self._worker(queue, client))
                    for _ in range(self.gate.concurrency)
                ]
                await self._produce(ids, queue)
                await queue.join()
                for _ in workers:
                    queue.put_nowait(None)
        except BaseExceptionGroup as group_error:
            # One worker's error (the store gone, say) ends the push; raise it as
            # itself.
            raise group_error.exceptions[0] from None
        finally:
            await self.attempts.flush(self._state())

    def finish(self) -> PushReport:
        report = self.report
        report.seconds = time.perf_counter() - self.started
        report.delivered = len(self._delivered)
        report.failed = len(self._failed.keys() - self._delivered)
        report.inactive = self.gate.stopped and not self.attempts.paused_by_hand
        report.inactive_reason = self.gate.stop_reason
        if not report.dry_run:
            report.not_sent = (
                report.selected - report.delivered - report.failed - report.rejected
            )
        still_failed = [
            (s, e) for s, e in self._failed.items() if s not in self._delivered
        ]
        report.failures = [
            {"submission_id": sid, "error": error}
            for sid, error in still_failed[:MAX_FAILURES_SAMPLE]
        ]
        log.info(
            "push %s for %s done: %d delivered, %d failed, %d rejected, "
            "%d not sent in %.2f s",
            report.push_id,
            report.integration,
            report.delivered,
            report.failed,
            report.rejected,
            report.not_sent,
            report.seconds,
        )
        return report

    async def _mapped_chunks(self, ids: list[str]) -> AsyncIterator[pl.DataFrame]:
        for start in range(0, len(ids), CHUNK):
            if self.gate.stopped:
                return
            chunk = ids[start : start + CHUNK]
            yield await asyncio.to_thread(self._map_chunk, chunk)

    def _map_chunk(self, ids: Sequence[str]) -> pl.DataFrame:
        loaded = _load_chunk(self.store, ids)
        return map_submissions(
            loaded,
            value_unit=self.settings.value_unit,
            backfill=self.options.backfill,
            notes=False,
            shapes=("body",) if self.endpoint == "single" else ("bulk_item",),
        )

    async def _produce(
        self, ids: list[str], queue: asyncio.Queue[_Work | None]
    ) -> None:
        async for mapped in self._mapped_chunks(ids):
            self._note_rejections(mapped, record=True)
            ready = mapped.filter(pl.col("status") == "ok")
            self.report.sendable += ready.height
            for work in self._work_items(ready):
                await self._room.acquire()
                if self.gate.stopped:
                    return
                work.holds_room = True
                queue.put_nowait(work)

    def _work_items(self, ready: pl.DataFrame) -> list[_Work]:
        ids = ready.get_column("submission_id").to_list()
        if self.endpoint == "single":
            bodies = ready.get_column("body").to_list()
            return [
                _Work((sid,), body.encode())
                for sid, body in zip(ids, bodies, strict=True)
            ]
        items = [item.encode() for item in ready.get_column("bulk_item").to_list()]
        return [
            _Work(batch.submission_ids, batch.payload, batch)
            for batch in bulk_batches(zip(ids, items, strict=True))
        ]

    def _note_rejections(self, mapped: pl.DataFrame, *, record: bool) -> None:
        rejected = mapped.filter(pl.col("status") == "rejected").select(
            "submission_id", "reason"
        )
        self.report.rejected += rejected.height
        self.progress.rejected += rejected.height
        for sid, reason in rejected.iter_rows():
            if len(self.report.rejections) < MAX_FAILURES_SAMPLE:
                self.report.rejections.append({"submission_id": sid, "reason": reason})
            if record:
                self.attempts.add(
                    Attempt(
                        sid,
                        "local",
                        "local",
                        "rejected",
                        error_code="rejected",
                        error_title="Not sendable to Klaviyo",
                        error_detail=reason,
                    )
                )
        self._notify()

    async def _worker(
        self, queue: asyncio.Queue[_Work | None], client: KlaviyoClient
    ) -> None:
        while True:
            work = await queue.get()
            try:
                if work is None:
                    return
                await self._handle(work, queue, client)
            finally:
                queue.task_done()

    async def _handle(
        self, work: _Work, queue: asyncio.Queue[_Work | None], client: KlaviyoClient
    ) -> None:
        if not await self.gate.acquire():
            self._done(work)
            return

        work.tries += 1
        if work.batch is None:
            response = await client.create_event(work.payload)
        else:
            response = await client.create_events_bulk(work.payload)
        self.report.requests += 1
        self.progress.requests += 1

        result = self._record(work, response)
        await self.gate.release(
            result, error=response.describe() if result == "failure" else None
        )
        self.progress.streak = self.gate.streak
        self.progress.stopped = self.gate.stopped
        if not self._follow_up(work, response, queue):
            self._done(work)
        self._notify()
        await self._maybe_flush()

    def _done(self, work: _Work) -> None:
        if work.holds_room:
            self._room.release()

    def _record(
        self, work: _Work, response: Response
    ) -> Literal["success", "failure", "neutral"]:
        request_id = uuid.uuid4().hex[:16]
        outcome = (
            "delivered"
            if response.ok
            else "throttled"
            if response.throttled
            else "failed"
        )
        endpoint = "bulk" if work.batch is not None else "event"
        answered_at = datetime.now(UTC)
        for sid in work.ids:
            self.attempts.add(
                Attempt(
                    sid,
                    request_id,
                    endpoint,
                    outcome,
                    http_status=response.status,
                    error_code=response.error_code,
                    error_title=response.error_title,
                    error_detail=response.error_detail,
                    duration_ms=response.duration_ms,
                    attempted_at=answered_at,
                )
            )
        if response.ok:
            self._delivered.update(work.ids)
            self.progress.delivered += len(work.ids)
            self._succeeded_since_flush = True
            return "success"
        if response.throttled:
            self.report.throttled += 1
            self.progress.throttled += 1
            return "neutral"
        self._last_error = response.describe()
        for sid in work.ids:
            self._failed[sid] = self._last_error
        return "failure"

    def _follow_up(
        self, work: _Work, response: Response, queue: asyncio.Queue[_Work | None]
    ) -> bool:
        """Send again, split, or give up on this work; True when it goes back whole."""
        if response.ok or self.gate.stopped:
            self._count_failed(work, response)
            return False
        if response.throttled:
            work.tries -= 1
            queue.put_nowait(work)
            return True
        if (
            work.batch is not None
            and response.status in (400, 413)
            and len(work.ids) > 1
        ):
            for half in work.batch.halves():
                queue.put_nowait(_Work(half.submission_ids, half.payload, half))
            return False
        if response.retryable and work.tries < self.options.max_attempts:
            queue.put_nowait(work)
            return True
        self._count_failed(work, response)
        return False

    def _count_failed(self, work: _Work, response: Response) -> None:
        if not response.ok:
            self.progress.failed += len(work.ids)

    async def _maybe_flush(self) -> None:
        if (
            self.gate.stopped
            and self.gate.stop_reason
            and not self.attempts.paused_by_hand
        ):
            await self.attempts.flush(self._state())
        elif self.attempts.due():
            await self.attempts.flush(self._state())
            if self.attempts.paused_by_hand:
                await self.gate.stop("paused by hand while the push ran")

    def _state(self) -> IntegrationState:
        state = IntegrationState(
            consecutive_failures=self.gate.streak,
            last_error=self._last_error,
            last_success=self._succeeded_since_flush,
            inactive_reason=self.gate.stop_reason
            if self.gate.stopped and not self.attempts.paused_by_hand
            else None,
        )
        self._succeeded_since_flush = False
        return state

    def _notify(self) -> None:
        if self.progress_callback is not None:
            self.progress_callback(self.progress)
