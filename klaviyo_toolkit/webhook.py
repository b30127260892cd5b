"""Live intake: an HTTP endpoint for Anedot's webhook deliveries.

Anedot POSTs each event as JSON, signed with `X-Request-Signature` (the hex SHA-256 HMAC
of the raw body, keyed with the webhook's secret), and switches a webhook off after
repeated failed deliveries; so the receiver checks the signature in constant time,
answers fast, and answers 2xx for events it does not relay. Per request:

1. It refuses what cannot be a delivery: a wrong path or method, a body over the limit
   (413), a missing or wrong signature (401, nothing stored), a body that is not a JSON
   object (400).
2. It hands the delivery to one writer task, which appends everything that arrived
   meanwhile to the journal (`journal.py`) with one fsync; a request id seen before is
   a replay and is not written again.
3. It answers once the delivery is durable in the journal: 200, with what happened.
4. A drainer task moves the journal into the store, one transaction for all that
   accumulated, idempotent on `X-Request-Id` and, through ingest, on the submission id;
   it runs as soon as there is anything to move, so a delivery is queryable within
   about a second.
5. With relaying on, the relay task pushes newly stored submissions, in order of
   arrival, to every active integration in scope, with the same streak rule as any push.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import uvicorn

from .errors import IntegrationInactive, ToolkitError
from .ingest import ingest_bodies_on
from .journal import Journal
from .loopback import LOOPBACK, ThreadedServer, bind, config, is_loopback
from .relay import PushOptions
from .toolkit import Toolkit

__all__ = [
    "MAX_BODY_BYTES",
    "NOT_RELAYED_EVENTS",
    "WebhookReceiver",
    "WebhookServer",
    "default_journal",
    "serve",
    "sign",
]

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

MAX_BODY_BYTES = 1_000_000
"""Anedot's largest delivery is a few kilobytes; anything near a megabyte is not one."""
PATHS = frozenset({"/", "/anedot", "/webhooks/anedot"})
BATCH_LIMIT = 1_000
RELAY_BATCH = 5_000
DRAIN_RETRY_SECONDS = 2.0

NOT_RELAYED_EVENTS = frozenset(
    {
        "donation_refunded",
        "donation_partially_refunded",
        "donation_voided",
        "donation_chargeback",
        "donation_chargeback_reversed",
        "donation_ach_returned",
        "donation_settled",
        "commitment_updated",
        "commitment_failed_to_process",
    }
)
"""Events about a submission that exists already: stored for analysis, never relayed."""


def sign(body: bytes, secret: bytes) -> str:
    """The signature Anedot puts in `X-Request-Signature` for this body."""
    return hmac.new(secret, body, hashlib.sha256).hexdigest()


def default_journal(database: Path) -> Path:
    """The journal folder beside a database: `klaviyo_toolkit.duckdb.webhooks/`."""
    return database.with_name(database.name + ".webhooks")


@dataclass
class _Delivery:
    request_id: str
    integration_id: str | None
    event: str | None
    submission_id: str | None
    body: bytes
    received_at: datetime

    def record(self) -> dict[str, Any]:
        return {
            "request_id": self.request_id,
            "integration_id": self.integration_id,
            "event": self.event,
            "submission_id": self.submission_id,
            "received_at": self.received_at.isoformat(),
            "body": self.body.decode("utf-8", errors="replace"),
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> _Delivery:
        return cls(
            request_id=record["request_id"],
            integration_id=record["integration_id"],
            event=record["event"],
            submission_id=record["submission_id"],
            body=record["body"].encode(),
            received_at=datetime.fromisoformat(record["received_at"]),
        )


@dataclass
class _Pending:
    delivery: _Delivery
    answer: asyncio.Future[str] = field(
        repr=False, default_factory=lambda: asyncio.get_running_loop().create_future()
    )


@dataclass
class ReceiverStats:
    """Counters since start, for tests, the benchmark and the log."""

    received: int = 0
    stored: int = 0
    replayed: int = 0
    refused: dict[int, int] = field(default_factory=dict)
    drains: int = 0
    relayed_batches: int = 0


class WebhookReceiver:
    """The ASGI app; `relay=True` pushes new submissions as they arrive.

    Served with lifespan on, it replays what a previous run left in the journal before
    it takes requests and moves the rest into the store when it stops; served without,
    it starts on its first request.
    """

    def __init__(
        self,
        tk: Toolkit,
        *,
        secret: bytes,
        relay: bool = False,
        push_options: PushOptions | None = None,
        max_body: int = MAX_BODY_BYTES,
        journal: Path | None = None,
    ) -> None:
        if not secret:
            raise ToolkitError(
                "The webhook secret is empty; set it to Anedot's secret."
            )
        self.tk = tk
        self.relay = relay
        self.push_options = push_options or PushOptions()
        self.max_body = max_body
        self.journal_folder = journal or default_journal(tk.store.path)
        self.stats = ReceiverStats()
        self._secret = secret
        self._journal: Journal | None = None
        self._seen: set[str] = set()
        self._starting: asyncio.Lock | None = None
        self._incoming: asyncio.Queue[_Pending] = asyncio.Queue()
        self._to_relay: asyncio.Queue[str] = asyncio.Queue()
        self._drain_wanted = asyncio.Event()
        self._closing = False
        self._drained = threading.Condition()
        self._tasks: dict[str, asyncio.Task[None]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return

        status, answer = await self._handle(scope, receive)
        if status >= 400:
            self.stats.refused[status] = self.stats.refused.get(status, 0) + 1
        body = json.dumps(answer).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.start()
                except ToolkitError as error:
                    await send(
                        {"type": "lifespan.startup.failed", "message": str(error)}
                    )
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _handle(
        self, scope: Scope, receive: Receive
    ) -> tuple[int, dict[str, Any]]:
        if scope["path"] not in PATHS:
            return 404, {"error": "not found: POST Anedot deliveries to /anedot"}
        if scope["method"] != "POST":
            return 405, {"error": "only POST is accepted"}
        headers = {
            k.decode("latin-1").lower(): v.decode("latin-1")
            for k, v in scope["headers"]
        }

        body = await self._read_body(receive, headers)
        if body is None:
            return 413, {"error": f"the body is over {self.max_body} bytes"}
        if not self._signed(body, headers.get("x-request-signature", "")):
            return 401, {"error": "missing or wrong X-Request-Signature"}
        try:
            document = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return 400, {"error": "the body is not JSON"}
        if not isinstance(document, dict):
            return 400, {"error": "the body is not a JSON object"}

        self.stats.received += 1
        delivery = _delivery(document, body, headers)
        try:
            outcome = await self._accept(delivery)
        except ToolkitError as error:
            # Anedot sends it again later; a 5xx says so without counting as a refusal.
            return 503, {"error": str(error)}
        return 200, {"status": outcome, "request_id": delivery.request_id}

    async def _read_body(
        self, receive: Receive, headers: dict[str, str]
    ) -> bytes | None:
        """The whole body, or None as soon as it is known to be too large."""
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body:
            return None
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                return None
            chunks.append(chunk)
            if not message.get("more_body"):
                return b"".join(chunks)

    def _signed(self, body: bytes, signature: str) -> bool:
        expected = sign(body, self._secret)
        return hmac.compare_digest(expected, signature.strip().lower())

    async def _accept(self, delivery: _Delivery) -> str:
        await self.start()
        pending = _Pending(delivery)
        await self._incoming.put(pending)
        return await pending.answer

    async def start(self) -> None:
        """Open the journal, store what a previous run left in it, start the tasks."""
        if self._starting is None:
            self._starting = asyncio.Lock()
        async with self._starting:
            if self._tasks:
                return
            self._journal = Journal(self.journal_folder)
            self._seen = await asyncio.to_thread(_all_request_ids, self.tk)
            await self._drain_once()

            self._tasks["writer"] = asyncio.create_task(self._write_forever())
            self._tasks["drainer"] = asyncio.create_task(self._drain_forever())
            if self.relay:
                self._tasks["relay"] = asyncio.create_task(self._relay_forever())

    async def _write_forever(self) -> None:
        assert self._journal is not None
        while True:
            batch = [await self._incoming.get()]
            while not self._incoming.empty() and len(batch) < BATCH_LIMIT:
                batch.append(self._incoming.get_nowait())

            outcomes = self._classify([p.delivery for p in batch])
            fresh = [
                p.delivery.record()
                for p, outcome in zip(batch, outcomes, strict=True)
                if outcome != "replayed"
            ]
            try:
                await asyncio.to_thread(self._journal.append, fresh)
            except OSError as error:
                self._refuse(batch, error)
                continue

            self._drain_wanted.set()
            for pending, outcome in zip(batch, outcomes, strict=True):
                if outcome == "replayed":
                    self.stats.replayed += 1
                else:
                    self.stats.stored += 1
                pending.answer.set_result(outcome)

    def _classify(self, batch: list[_Delivery]) -> list[str]:
        outcomes = _outcomes(batch, self._seen)
        self._seen.update(delivery.request_id for delivery in batch)
        return outcomes

    def _refuse(self, batch: list[_Pending], error: OSError) -> None:
        log.error("cannot write %d deliveries to the journal: %s", len(batch), error)
        failure = ToolkitError(
            f"The webhook journal in {self.journal_folder} cannot be written "
            f"({error.strerror}); the delivery was not stored."
        )
        for pending in batch:
            self._seen.discard(pending.delivery.request_id)
            pending.answer.set_exception(failure)

    async def _drain_forever(self) -> None:
        while True:
            await self._drain_wanted.wait()
            self._drain_wanted.clear()
            try:
                await self._drain_once()
            except ToolkitError as error:
                log.error(
                    "moving webhook deliveries into the store failed, retrying in "
                    "%.0f s: %s",
                    DRAIN_RETRY_SECONDS,
                    error,
                )
                if self._closing:
                    return
                await asyncio.sleep(DRAIN_RETRY_SECONDS)
                self._drain_wanted.set()
                continue
            if self._closing:
                return

    async def _drain_once(self) -> None:
        """Move every sealed journal segment into the store in one transaction."""
        assert self._journal is not None
        journal = self._journal
        segments = await asyncio.to_thread(journal.seal)
        if not segments:
            return

        read = await asyncio.to_thread(journal.read, segments)
        deliveries = [_Delivery.from_record(record) for record in read.records]
        outcomes = await asyncio.to_thread(_write_batch, self.tk, deliveries)
        await asyncio.to_thread(journal.discard, segments)

        self.stats.drains += 1
        with self._drained:
            self._drained.notify_all()
        if self.relay:
            for delivery, outcome in zip(deliveries, outcomes, strict=True):
                if outcome == "stored" and delivery.submission_id:
                    self._to_relay.put_nowait(delivery.submission_id)

    def wait_until_stored(self, timeout: float = 30.0) -> None:
        """Block (from another thread) until every delivery answered so far is in the
        store; raise TimeoutError if that takes longer than `timeout` seconds."""
        with self._drained:
            if not self._drained.wait_for(self._journal_empty, timeout):
                raise TimeoutError(
                    f"webhook deliveries are still in {self.journal_folder} after "
                    f"{timeout} s"
                )

    def _journal_empty(self) -> bool:
        return self._journal is None or self._journal.is_empty()

    async def _relay_forever(self) -> None:
        while True:
            ids = [await self._to_relay.get()]
            while not self._to_relay.empty() and len(ids) < RELAY_BATCH:
                ids.append(self._to_relay.get_nowait())
            await self._relay(ids)

    async def _relay(self, ids: list[str]) -> None:
        """Push new submissions to every active integration whose scope has them."""
        try:
            active = [
                i.name
                for i in await asyncio.to_thread(self.tk.integrations)
                if i.active
            ]
        except ToolkitError as error:
            log.error(
                "cannot read integrations to relay %d submissions: %s", len(ids), error
            )
            return
        for name in active:
            try:
                report = await self.tk.push_async(
                    name, submission_ids=ids, bulk=False, options=self.push_options
                )
            except IntegrationInactive:
                continue
            except ToolkitError as error:
                log.error("live relay to %s failed: %s", name, error)
                continue
            log.info(
                "live relay to %s: %d delivered, %d failed",
                name,
                report.delivered,
                report.failed,
            )
        self.stats.relayed_batches += 1

    async def aclose(self) -> None:
        """Stop taking deliveries, move the journal into the store, stop relaying.

        Submissions stored but not yet relayed stay unsent for `push --unsent`.
        """
        writer = self._tasks.pop("writer", None)
        if writer is not None:
            writer.cancel()
            await asyncio.gather(writer, return_exceptions=True)
        drainer = self._tasks.pop("drainer", None)
        if drainer is not None:
            self._closing = True
            self._drain_wanted.set()
            await asyncio.gather(drainer, return_exceptions=True)
            await self._final_drain()
        relay = self._tasks.pop("relay", None)
        if relay is not None:
            relay.cancel()
            await asyncio.gather(relay, return_exceptions=True)
        if not self._to_relay.empty():
            log.warning(
                "%d stored submissions were not relayed before the receiver stopped; "
                "push --unsent sends them",
                self._to_relay.qsize(),
            )
        if self._journal is not None:
            self._journal.close()

    async def _final_drain(self) -> None:
        try:
            await self._drain_once()
        except ToolkitError as error:
            log.error(
                "webhook deliveries stay in %s for the next start: %s",
                self.journal_folder,
                error,
            )


def _delivery(
    document: dict[str, Any], body: bytes, headers: dict[str, str]
) -> _Delivery:
    payload = document.get("payload")
    fields = payload if isinstance(payload, dict) else document
    submission_id = fields.get("submission_id") or fields.get("id")
    request_id = headers.get("x-request-id") or hashlib.sha256(body).hexdigest()
    event = document.get("event")
    return _Delivery(
        request_id=request_id[:200],
        integration_id=headers.get("x-integration-id"),
        event=str(event) if event is not None else None,
        submission_id=str(submission_id) if isinstance(submission_id, str) else None,
        body=body,
        received_at=datetime.now(UTC),
    )


def _all_request_ids(tk: Toolkit) -> set[str]:
    """Every request id the store holds, so a replay is answered as one at once."""
    with tk.store.connect() as con:
        rows = con.execute("SELECT request_id FROM webhook_deliveries").fetchall()
    return {row[0] for row in rows}


def _write_batch(tk: Toolkit, batch: list[_Delivery]) -> list[str]:
    """Store a batch in one transaction; per delivery 'stored', 'kept' or 'replayed'.

    The submissions and the deliveries commit together, so a crash can never record a
    request id whose submission was lost. Request ids are checked against the store
    again: a journal replayed after a crash may hold deliveries already moved.
    """
    with tk.store.transaction() as con:
        known = _known_request_ids(con, [d.request_id for d in batch])
        outcomes = _outcomes(batch, known)
        bodies = [d.body for d, o in zip(batch, outcomes, strict=True) if o == "stored"]
        ingest_bodies_on(con, bodies, source="webhook")
        fresh = [
            (d, o) for d, o in zip(batch, outcomes, strict=True) if o != "replayed"
        ]
        _record(con, fresh)
    return outcomes


def _known_request_ids(con: duckdb.DuckDBPyConnection, ids: list[str]) -> set[str]:
    rows = con.execute(
        "SELECT request_id FROM webhook_deliveries "
        "WHERE request_id IN (SELECT unnest(?::VARCHAR[]))",
        [list(set(ids))],
    ).fetchall()
    return {row[0] for row in rows}


def _outcomes(batch: list[_Delivery], known: set[str]) -> list[str]:
    """'replayed' for a request id seen before (or earlier in this batch), 'kept' for
    events that are not relayed, 'stored' for the rest."""
    in_batch: set[str] = set()
    outcomes = []
    for delivery in batch:
        if delivery.request_id in known or delivery.request_id in in_batch:
            outcomes.append("replayed")
        elif delivery.event in NOT_RELAYED_EVENTS:
            outcomes.append("kept")
        else:
            outcomes.append("stored")
        in_batch.add(delivery.request_id)
    return outcomes


def _record(con: duckdb.DuckDBPyConnection, fresh: list[tuple[_Delivery, str]]) -> None:
    if not fresh:
        return
    table = pa.table(
        {
            "request_id": [d.request_id for d, _ in fresh],
            "received_at": pa.array(
                [d.received_at for d, _ in fresh], pa.timestamp("us", tz="UTC")
            ),
            "event": [d.event for d, _ in fresh],
            "submission_id": [d.submission_id for d, _ in fresh],
            "integration_id": [d.integration_id for d, _ in fresh],
            "outcome": [outcome for _, outcome in fresh],
            "body": [d.body.decode("utf-8", errors="replace") for d, _ in fresh],
        }
    )
    con.register("new_deliveries", table)
    con.execute("INSERT INTO webhook_deliveries SELECT * FROM new_deliveries")
    con.unregister("new_deliveries")


class WebhookServer:
    """A receiver served from a background thread on loopback, for tests and demos.

    with WebhookServer(receiver) as server:
        httpx.post(server.url, content=body, headers={"X-Request-Signature": ...})
    """

    def __init__(self, receiver: WebhookReceiver, *, port: int = 0) -> None:
        self.receiver = receiver
        self._requested_port = port
        self._server: ThreadedServer | None = None
        self._port: int | None = None

    @property
    def url(self) -> str:
        if self._port is None:
            raise RuntimeError("the webhook server is not running; call start() first")
        return f"http://{LOOPBACK}:{self._port}/anedot"

    def start(self) -> WebhookServer:
        sock = bind(LOOPBACK, self._requested_port)
        self._server = ThreadedServer(
            config(self.receiver, host=LOOPBACK, port=0, lifespan="on")
        )
        self._server.start_in_thread(sock, name="anedot-webhooks")
        self._port = int(sock.getsockname()[1])
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop_thread()
            self._server = None
            self._port = None

    def wait_until_stored(self, timeout: float = 30.0) -> None:
        """Block until every delivery answered so far is queryable in the store."""
        self.receiver.wait_until_stored(timeout)

    def __enter__(self) -> WebhookServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve(receiver: WebhookReceiver, *, host: str = LOOPBACK, port: int = 8766) -> None:
    """Serve Anedot deliveries in the foreground until interrupted."""
    if not is_loopback(host):
        log.warning(
            "listening on %s: put TLS in front of it, Anedot only posts to https URLs",
            host,
        )
    log.info("receiving Anedot webhooks on http://%s:%d/anedot", host, port)
    uvicorn.Server(
        config(receiver, host=host, port=port, limit_concurrency=2_000, lifespan="on")
    ).run()
