"""A local Klaviyo-compatible server for the two event endpoints, on loopback only.

`Simulator` is a plain ASGI application answering `POST /api/events` and
`POST /api/event-bulk-create-jobs` as Klaviyo does (key, revision and content-type
checks, the schema and the live API's stricter checks from `simulator_checks`, both
rate-limit windows per key on a `Clock` that may run fast), injects faults on demand,
and records the events it accepted, de-duplicated by `unique_id`. `start()` serves it
from a background thread for tests and the demo; `serve()` runs one in the foreground
for `klaviyo-toolkit simulate`.

A simulator in another process is driven over HTTP: `GET /_sim/stats`,
`GET /_sim/events` (`?full=1` adds the attributes), `POST /_sim/faults` and
`POST /_sim/reset`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import math
import random
import threading
from collections import Counter, defaultdict, deque
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from dataclasses import dataclass, field
from typing import Any, Self
from urllib.parse import parse_qs

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from . import simulator_checks as checks
from .clock import Clock
from .loopback import LOOPBACK, ThreadedServer, bind, config, require_loopback
from .ratelimit import (
    BULK_LIMITS,
    BURST_WINDOW,
    EVENT_LIMITS,
    STEADY_WINDOW,
    Limits,
    SlidingWindow,
)

__all__ = [
    "BULK_PATH",
    "DEFAULT_PORT",
    "EVENTS_PATH",
    "Faults",
    "Simulator",
    "SimulatorSettings",
    "SimulatorStats",
    "serve",
]

logger = logging.getLogger(__name__)

DEFAULT_PORT = 8765
EVENTS_PATH = "/api/events"
BULK_PATH = "/api/event-bulk-create-jobs"
CONTROL_PREFIX = "/_sim/"
DROP_EXTENSION = "klaviyo_toolkit.drop"

GRACEFUL_SHUTDOWN = 2
KEEP_ALIVE = 60

ACCEPTED = 202
_CHECKED_INLINE_BYTES = 64 * 1024
"""Bodies larger than this are checked in a thread. Klaviyo counts a request against
its windows when it arrives; checking a 1,000-event bulk body on the event loop held
every request behind it back from being counted for tens of milliseconds each, so
requests sent a second apart were counted within one and met 429s a real account
would not."""
TOO_MANY_REQUESTS = 429

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Checker = Callable[[Any], list[dict[str, Any]]]

ROUTES: dict[str, tuple[Limits, Checker]] = {
    EVENTS_PATH: (EVENT_LIMITS, checks.check_create_event),
    BULK_PATH: (BULK_LIMITS, checks.check_bulk_create),
}


@dataclass(frozen=True)
class Faults:
    """Trouble to inject into API requests; random choices come from the seeded RNG."""

    error_rate: float = 0.0
    """Fraction of requests answered with one of `error_statuses`, recording nothing."""
    error_statuses: tuple[int, ...] = (500, 502, 503)
    """The statuses an injected error is drawn from."""
    html_errors: bool = False
    """Answer injected errors with an HTML page, as a CDN in front of Klaviyo does."""
    latency: float = 0.0
    """Clock seconds added before every answer."""
    max_latency: float | None = None
    """When set, the added delay is drawn uniformly between `latency` and this."""
    drop_rate: float = 0.0
    """Fraction of requests whose connection is closed without an answer."""
    drop_after_accept: bool = False
    """Drop after recording the event: Klaviyo got it, the client never heard."""

    def __post_init__(self) -> None:
        for rate in (self.error_rate, self.drop_rate):
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"a fault rate is a fraction from 0 to 1, not {rate}")
        if self.latency < 0 or (self.max_latency or 0.0) < 0:
            raise ValueError("latency cannot be negative")
        if not self.error_statuses or min(self.error_statuses) < 400:
            raise ValueError("injected error statuses must be 4xx or 5xx")


@dataclass(frozen=True)
class SimulatorSettings:
    """Which keys and revisions the simulator refuses.

    Any other key of the shape `pk_` and 20+ letters or digits is valid.
    """

    revoked_keys: frozenset[str] = frozenset()
    """Well-formed keys answered 401, as if revoked in Klaviyo."""
    keys_without_scope: frozenset[str] = frozenset()
    """Keys answered 403, as if created without the `events:write` scope."""
    retired_revisions: frozenset[str] = frozenset()
    """`revision` header values answered 410."""


@dataclass(frozen=True)
class SimulatorStats:
    """Counters since start or the last reset."""

    requests: int
    """API requests answered or dropped; the control surface is not counted."""
    by_status: dict[int, int]
    dropped: int
    accepted_events: int
    duplicate_events: int
    """Events answered 202 but ignored: their `unique_id` was already recorded."""
    by_key: dict[str, dict[str, int]]
    """Per masked key: `requests` past the key check, `throttled`, `accepted_events`."""

    def as_json(self) -> dict[str, Any]:
        document = dataclasses.asdict(self)
        document["by_status"] = {str(s): n for s, n in self.by_status.items()}
        return document


@dataclass
class _Answer:
    status: int
    body: bytes = b""
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


_DROPPED = _Answer(0)


@dataclass(frozen=True)
class _Request:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class _Drop:
    after_accept: bool


class _Window(SlidingWindow):
    def reset_after(self, now: float) -> float:
        """Clock seconds until the oldest counted request leaves the window."""
        self._forget_before(now)
        return self._times[0] + self.window - now if self._times else 0.0


class Simulator:
    """Klaviyo's event endpoints as an ASGI app, with a handle to serve it on loopback.

        with Simulator(speed=60, revoked_keys={"pk_..."}) as sim:
            httpx.post(f"{sim.base_url}/api/events", ...)
            assert sim.unique_ids() == ["sub-1"]

    `speed` makes its `Clock` (60: a minute of Klaviyo's windows per real second);
    `clock` shares one with a client instead. Its record and counters are safe to read
    from any thread while it serves.
    """

    def __init__(
        self,
        *,
        speed: float = 1.0,
        clock: Clock | None = None,
        revoked_keys: Iterable[str] = (),
        keys_without_scope: Iterable[str] = (),
        retired_revisions: Iterable[str] = (),
        faults: Faults | None = None,
        seed: int | None = None,
    ) -> None:
        self.clock = clock or Clock(speed)
        self.settings = SimulatorSettings(
            revoked_keys=frozenset(revoked_keys),
            keys_without_scope=frozenset(keys_without_scope),
            retired_revisions=frozenset(retired_revisions),
        )
        self._faults = faults or Faults()
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._server: ThreadedServer | None = None
        self._port: int | None = None
        self._clear()

    @property
    def base_url(self) -> str:
        if self._port is None:
            raise RuntimeError("the simulator is not running; call start() first")
        return f"http://{LOOPBACK}:{self._port}"

    def start(self, *, port: int = 0) -> Self:
        """Serve on 127.0.0.1 (port 0: one the OS picks); return once it listens."""
        if self._server is not None:
            raise RuntimeError("the simulator is already running")

        sock = bind(LOOPBACK, port)
        self._server = ThreadedServer(_uvicorn_config(self, LOOPBACK, port))
        try:
            self._server.start_in_thread(sock, name="klaviyo-sim")
        except RuntimeError:
            self._server = None
            raise RuntimeError("the Klaviyo simulator did not start") from None
        self._port = sock.getsockname()[1]
        logger.info("Klaviyo simulator listening on %s (%r)", self.base_url, self.clock)
        return self

    def stop(self) -> None:
        """Stop answering and wait for the server thread to end."""
        if self._server is None:
            return

        self._server.stop_thread()
        self._server = None
        self._port = None
        logger.info("Klaviyo simulator stopped")

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return

        request = _request(scope, await _read_body(receive))
        if request.path.startswith(CONTROL_PREFIX):
            await _send_answer(send, self._control(request))
            return

        answer = await self._answer(request)
        outcome = "dropped" if answer is _DROPPED else answer.status
        logger.debug("%s %s -> %s", request.method, request.path, outcome)
        if answer is _DROPPED:
            await _drop_connection(scope, receive)
        else:
            await _send_answer(send, answer)

    def set_faults(self, faults: Faults | None = None, /, **changes: Any) -> Faults:
        """Replace the faults, or change some of their fields; returns the new ones."""
        unknown = set(changes) - {f.name for f in dataclasses.fields(Faults)}
        if unknown:
            raise ValueError(f"unknown fault settings: {', '.join(sorted(unknown))}")

        with self._lock:
            self._faults = dataclasses.replace(faults or self._faults, **changes)
            return self._faults

    def fail_next(self, count: int = 1, status: int = 503) -> None:
        """Answer the next `count` API requests with `status` (429 has Retry-After)."""
        if count < 0 or status < 400:
            raise ValueError("fail_next takes a count of zero or more and a 4xx or 5xx")
        with self._lock:
            self._pending.extend([status] * count)

    def drop_next(self, count: int = 1, *, after_accept: bool = False) -> None:
        """Close the next `count` connections without an answer."""
        with self._lock:
            self._pending.extend([_Drop(after_accept)] * count)

    def reset(self) -> None:
        """Forget events, counters, windows and pending faults; keep the fault rates."""
        with self._lock:
            self._clear()

    def events(self) -> list[dict[str, Any]]:
        """Accepted event attributes, first one kept; each carries its profile."""
        with self._lock:
            return list(self._events)

    def unique_ids(self) -> list[str]:
        with self._lock:
            return [
                e["unique_id"] for e in self._events if e.get("unique_id") is not None
            ]

    def stats(self) -> SimulatorStats:
        with self._lock:
            return SimulatorStats(
                requests=sum(self._by_status.values()) + self._dropped,
                by_status=dict(sorted(self._by_status.items())),
                dropped=self._dropped,
                accepted_events=len(self._events),
                duplicate_events=self._duplicates,
                by_key={_mask(k): dict(usage) for k, usage in self._by_key.items()},
            )

    def requests_by_status(self) -> dict[int, int]:
        return self.stats().by_status

    def _clear(self) -> None:
        self._events: list[dict[str, Any]] = []
        self._seen: set[tuple[str, ...]] = set()
        self._duplicates = 0
        self._dropped = 0
        self._by_status: Counter[int] = Counter()
        self._by_key: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self._windows: dict[tuple[str, str], tuple[_Window, _Window]] = {}
        self._pending: deque[int | _Drop] = deque()

    async def _answer(self, request: _Request) -> _Answer:
        route = ROUTES.get(request.path)
        if route is None:
            return self._counted(_error(checks.not_found(request.path)))
        limits, check = route
        if request.method != "POST":
            answer = _error(checks.method_not_allowed(request.method))
            return self._counted(self._with_limits(answer, request, limits))

        await self.clock.sleep(self._draw_latency())
        fault = self._draw_fault()
        if isinstance(fault, _Drop) and not fault.after_accept:
            return self._counted(_DROPPED)

        if isinstance(fault, int):
            answer = self._injected(fault)
        else:
            answer = await self._decide(request, limits, check)
        if isinstance(fault, _Drop):
            return self._counted(_DROPPED)

        if answer.status != TOO_MANY_REQUESTS:
            answer = self._with_limits(answer, request, limits)
        return self._counted(answer)

    async def _decide(
        self, request: _Request, limits: Limits, check: Checker
    ) -> _Answer:
        headers = request.headers
        try:
            key = checks.check_api_key(
                headers.get("authorization", ""),
                revoked=self.settings.revoked_keys,
                without_scope=self.settings.keys_without_scope,
            )
            revision = headers.get("revision", "").strip()
            checks.check_revision(revision, retired=self.settings.retired_revisions)
            checks.check_content_type(headers.get("content-type", ""))
            self._admit(key, request.path, limits)
            if len(request.body) > _CHECKED_INLINE_BYTES:
                events = await asyncio.to_thread(_checked, check, request.body)
            else:
                events = _checked(check, request.body)
        except checks.Rejection as rejection:
            return _error(rejection)

        self._accept(key, events)
        return _Answer(ACCEPTED)

    def _admit(self, key: str, path: str, limits: Limits) -> None:
        # A throttled request is refused before it is counted, as Klaviyo does.
        with self._lock:
            now = self.clock.now()
            burst, steady = self._windows.setdefault(
                (key, path),
                (
                    _Window(limits.burst, BURST_WINDOW),
                    _Window(limits.steady, STEADY_WINDOW),
                ),
            )
            wait = max(burst.wait_time(now), steady.wait_time(now))

            usage = self._by_key[key]
            usage["requests"] += 1
            if wait > 0:
                usage["throttled"] += 1
                raise checks.throttled(wait)
            burst.record(now)
            steady.record(now)

    def _accept(self, key: str, events: list[dict[str, Any]]) -> None:
        with self._lock:
            for event in events:
                identity = checks.event_identity(event)
                if identity in self._seen:
                    self._duplicates += 1
                    continue
                self._seen.add(identity)
                self._events.append(event)
                self._by_key[key]["accepted_events"] += 1

    def _draw_latency(self) -> float:
        with self._lock:
            low, high = self._faults.latency, self._faults.max_latency
            if high is None or high <= low:
                return low
            return self._random.uniform(low, high)

    def _draw_fault(self) -> int | _Drop | None:
        with self._lock:
            if self._pending:
                return self._pending.popleft()

            faults = self._faults
            if faults.drop_rate and self._random.random() < faults.drop_rate:
                return _Drop(faults.drop_after_accept)
            if faults.error_rate and self._random.random() < faults.error_rate:
                return self._random.choice(faults.error_statuses)
            return None

    def _injected(self, status: int) -> _Answer:
        if self._faults.html_errors and status != TOO_MANY_REQUESTS:
            page = checks.html_error_page(status).encode()
            return _Answer(status, page, "text/html; charset=utf-8")
        return _error(checks.injected_error(status))

    def _with_limits(
        self, answer: _Answer, request: _Request, limits: Limits
    ) -> _Answer:
        # A request that never reached a window sees an untouched one.
        key = request.headers.get("authorization", "").partition(" ")[2].strip()
        with self._lock:
            now = self.clock.now()
            windows = self._windows.get((key, request.path))
            steady = windows[1] if windows else None
            remaining = steady.remaining(now) if steady else limits.steady
            reset = math.ceil(steady.reset_after(now)) if steady else 0

        answer.headers["RateLimit-Limit"] = str(limits.steady)
        answer.headers["RateLimit-Remaining"] = str(remaining)
        answer.headers["RateLimit-Reset"] = str(reset)
        return answer

    def _counted(self, answer: _Answer) -> _Answer:
        with self._lock:
            if answer is _DROPPED:
                self._dropped += 1
            else:
                self._by_status[answer.status] += 1
        return answer

    def _control(self, request: _Request) -> _Answer:
        handlers: dict[tuple[str, str], Callable[[_Request], Any]] = {
            ("GET", "/_sim/stats"): lambda _: self.stats().as_json(),
            ("GET", "/_sim/events"): self._control_events,
            ("POST", "/_sim/faults"): self._control_faults,
            ("POST", "/_sim/reset"): self._control_reset,
        }
        handler = handlers.get((request.method, request.path))
        if handler is None:
            return _error(checks.not_found(request.path))

        try:
            return _json_answer(200, handler(request))
        except (TypeError, ValueError) as error:
            return _error(checks.Rejection(str(error)))

    def _control_events(self, request: _Request) -> dict[str, Any]:
        events = self.events()
        document: dict[str, Any] = {"count": len(events)}
        document["unique_ids"] = [e["unique_id"] for e in events if "unique_id" in e]
        if parse_qs(request.query).get("full") == ["1"]:
            document["events"] = events
        return document

    def _control_faults(self, request: _Request) -> dict[str, Any]:
        changes = json.loads(request.body or b"{}")
        if not isinstance(changes, dict):
            raise ValueError("the faults body is a JSON object")

        fail = _object(changes.pop("fail_next", {}), "fail_next")
        drop = _object(changes.pop("drop_next", {}), "drop_next")
        if "error_statuses" in changes:
            changes["error_statuses"] = tuple(changes["error_statuses"])
        faults = self.set_faults(**changes)

        if fail:
            self.fail_next(int(fail.get("count", 1)), int(fail.get("status", 503)))
        if drop:
            after_accept = bool(drop.get("after_accept", False))
            self.drop_next(int(drop.get("count", 1)), after_accept=after_accept)
        return dataclasses.asdict(faults)

    def _control_reset(self, _: _Request) -> dict[str, Any]:
        self.reset()
        return {"reset": True}


class _DroppingHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, plus a way for the app to hang up without a word.

    ASGI has no message for "close without a response": an app that raises or returns
    early gets a 500 from uvicorn instead. So each request's scope carries the
    connection's close in an extension, which `_drop_connection` calls.
    """

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.scope["extensions"] = {DROP_EXTENSION: {"close": self.transport.close}}


def serve(
    *,
    host: str = LOOPBACK,
    port: int = DEFAULT_PORT,
    speed: float = 1.0,
    revoked_keys: Iterable[str] = (),
    keys_without_scope: Iterable[str] = (),
    retired_revisions: Iterable[str] = (),
    faults: Faults | None = None,
    seed: int | None = None,
) -> None:
    """Serve a simulator in the foreground until interrupted (`simulate` command)."""
    require_loopback(host)
    simulator = Simulator(
        speed=speed,
        revoked_keys=revoked_keys,
        keys_without_scope=keys_without_scope,
        retired_revisions=retired_revisions,
        faults=faults,
        seed=seed,
    )

    logger.info("Klaviyo simulator on http://%s:%d (clock speed %g)", host, port, speed)
    uvicorn.Server(_uvicorn_config(simulator, host, port)).run()


def _uvicorn_config(app: Simulator, host: str, port: int) -> uvicorn.Config:
    return config(
        app,
        host=host,
        port=port,
        http=_DroppingHttpToolsProtocol,
        timeout_keep_alive=KEEP_ALIVE,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN,
    )


async def _read_body(receive: Receive) -> bytes:
    # Past Klaviyo's limit the rest is drained unkept: what is kept suffices to refuse.
    body = bytearray()
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        if len(body) <= checks.MAX_BODY_BYTES:
            body += message.get("body", b"")
        more = message.get("more_body", False)
    return bytes(body)


async def _drop_connection(scope: Scope, receive: Receive) -> None:
    close = scope.get("extensions", {}).get(DROP_EXTENSION, {}).get("close")
    if close is None:
        raise ConnectionAbortedError("a simulated drop needs the simulator's protocol")

    # Waiting for the disconnect keeps uvicorn from answering 500 for a silent app.
    close()
    while (await receive())["type"] != "http.disconnect":
        pass


async def _send_answer(send: Send, answer: _Answer) -> None:
    headers = [(b"content-length", str(len(answer.body)).encode())]
    if answer.content_type:
        headers.append((b"content-type", answer.content_type.encode()))
    headers.extend((k.lower().encode(), v.encode()) for k, v in answer.headers.items())

    await send(
        {"type": "http.response.start", "status": answer.status, "headers": headers}
    )
    await send({"type": "http.response.body", "body": answer.body})


def _request(scope: Scope, body: bytes) -> _Request:
    headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
    return _Request(
        method=scope["method"],
        path=scope["path"],
        query=scope.get("query_string", b"").decode("latin-1"),
        headers=headers,
        body=body,
    )


def _error(rejection: checks.Rejection) -> _Answer:
    answer = _json_answer(
        rejection.status, checks.error_document(rejection), checks.JSON_API
    )
    answer.headers.update(rejection.headers)
    return answer


def _json_answer(
    status: int, document: Any, content_type: str = "application/json"
) -> _Answer:
    return _Answer(status, json.dumps(document).encode(), content_type)


def _object(value: Any, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError(f'{name} is a JSON object such as {{"count": 1}}')
    return value


def _mask(key: str) -> str:
    return f"{key[:3]}...{key[-4:]}" if len(key) >= 12 else "***"


def _checked(check: Checker, body: bytes) -> list[dict[str, Any]]:
    return check(checks.parse_body(body))
