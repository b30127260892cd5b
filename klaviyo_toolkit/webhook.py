"""Live intake: an HTTP endpoint for Anedot's webhook deliveries.

Anedot POSTs each event as JSON, signed with `X-Request-Signature` (the hex SHA-256 HMAC
of the raw body, keyed with the webhook's secret), and switches a webhook off after
repeated failed deliveries; so the receiver checks the signature in constant time,
answers fast, and answers 2xx for events it does not relay. Per request:

1. It refuses what cannot be a delivery: a wrong path or method, a body over the limit
   (413), a missing or wrong signature (401, nothing stored), a body that is not a JSON
   object (400).
2. It hands the delivery to one writer task, which stores deliveries in batches (one
   short transaction for all that arrived meanwhile), idempotent on `X-Request-Id` and,
   through ingest, on the submission id.
3. It answers once the batch is durable: 200, with what happened to this delivery.
4. With relaying on, the relay task pushes new submissions, in order of arrival, to
   every active integration in scope, with the same streak rule as any push.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import duckdb
import pyarrow as pa
import uvicorn

from .errors import IntegrationInactive, ToolkitError
from .ingest import ingest_bodies_on
from .loopback import LOOPBACK, ThreadedServer, bind, config, is_loopback
from .relay import PushOptions
from .toolkit import Toolkit

__all__ = [
    "MAX_BODY_BYTES",
    "NOT_RELAYED_EVENTS",
    "WebhookReceiver",
    "WebhookServer",
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
RELAY_BATCH = 500
RELAY_LINGER = 0.2
"""Seconds the relay waits after a new submission for others to join its push: a push
has a fixed cost (scope query, client, a probe), and Anedot allows a minute anyway."""

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


@dataclass
class _Delivery:
    request_id: str
    integration_id: str | None
    event: str | None
    submission_id: str | None
    body: bytes
    done: asyncio.Future[str] = field(
        repr=False, default_factory=lambda: asyncio.get_running_loop().create_future()
    )


@dataclass
class ReceiverStats:
    """Counters since start, for tests, the benchmark and the log."""

    received: int = 0
    stored: int = 0
    replayed: int = 0
    refused: dict[int, int] = field(default_factory=dict)
    relayed_batches: int = 0


class WebhookReceiver:
    """The ASGI app; `relay=True` pushes new submissions as they arrive."""

    def __init__(
        self,
        tk: Toolkit,
        *,
        secret: bytes,
        relay: bool = False,
        push_options: PushOptions | None = None,
        max_body: int = MAX_BODY_BYTES,
    ) -> None:
        if not secret:
            raise ToolkitError(
                "The webhook secret is empty; set it to Anedot's secret."
            )
        self.tk = tk
        self.relay = relay
        self.push_options = push_options or PushOptions()
        self.max_body = max_body
        self.stats = ReceiverStats()
        self._secret = secret
        self._incoming: asyncio.Queue[_Delivery] | None = None
        self._to_relay: asyncio.Queue[str] | None = None
        self._tasks: list[asyncio.Task[None]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
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
        outcome = await self._store(delivery)
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

    async def _store(self, delivery: _Delivery) -> str:
        if self._incoming is None:
            self._start_tasks()
        assert self._incoming is not None
        await self._incoming.put(delivery)
        return await delivery.done

    def _start_tasks(self) -> None:
        self._incoming = asyncio.Queue()
        self._tasks.append(asyncio.create_task(self._write_forever()))
        if self.relay:
            self._to_relay = asyncio.Queue()
            self._tasks.append(asyncio.create_task(self._relay_forever()))

    async def _write_forever(self) -> None:
        assert self._incoming is not None
        while True:
            batch = [await self._incoming.get()]
            while not self._incoming.empty() and len(batch) < BATCH_LIMIT:
                batch.append(self._incoming.get_nowait())
            try:
                outcomes = await asyncio.to_thread(_write_batch, self.tk, batch)
            except Exception as error:
                log.error("storing %d webhook deliveries failed: %s", len(batch), error)
                for delivery in batch:
                    delivery.done.set_exception(error)
                continue
            self._settle(batch, outcomes)

    def _settle(self, batch: list[_Delivery], outcomes: list[str]) -> None:
        for delivery, outcome in zip(batch, outcomes, strict=True):
            if outcome == "replayed":
                self.stats.replayed += 1
            else:
                self.stats.stored += 1
            if (
                outcome == "stored"
                and self._to_relay is not None
                and delivery.submission_id
            ):
                self._to_relay.put_nowait(delivery.submission_id)
            delivery.done.set_result(outcome)

    async def _relay_forever(self) -> None:
        assert self._to_relay is not None
        while True:
            ids = [await self._to_relay.get()]
            await asyncio.sleep(RELAY_LINGER)
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
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


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
    )


def _write_batch(tk: Toolkit, batch: list[_Delivery]) -> list[str]:
    """Store a batch in one transaction; per delivery 'stored', 'kept' or 'replayed'.

    The submissions and the deliveries commit together, so a crash can never record a
    request id whose submission was lost (Anedot's retry would then be taken as a
    replay).
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
        "SELECT request_id FROM webhook_deliveries WHERE list_contains(?, request_id)",
        [list(set(ids))],
    ).fetchall()
    return {row[0] for row in rows}


def _outcomes(batch: list[_Delivery], known: set[str]) -> list[str]:
    """A request id seen before, or twice in this batch, is a replay."""
    seen = set(known)
    outcomes = []
    for delivery in batch:
        if delivery.request_id in seen:
            outcomes.append("replayed")
        elif delivery.event in NOT_RELAYED_EVENTS:
            outcomes.append("kept")
        else:
            outcomes.append("stored")
        seen.add(delivery.request_id)
    return outcomes


def _record(con: duckdb.DuckDBPyConnection, fresh: list[tuple[_Delivery, str]]) -> None:
    if not fresh:
        return
    now = datetime.now(UTC)
    table = pa.table(
        {
            "request_id": [d.request_id for d, _ in fresh],
            "received_at": pa.array([now] * len(fresh), pa.timestamp("us", tz="UTC")),
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
        self._server = ThreadedServer(config(self.receiver, host=LOOPBACK, port=0))
        self._server.start_in_thread(sock, name="anedot-webhooks")
        self._port = int(sock.getsockname()[1])
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop_thread()
            self._server = None
            self._port = None

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
        config(receiver, host=host, port=port, limit_concurrency=2_000)
    ).run()
