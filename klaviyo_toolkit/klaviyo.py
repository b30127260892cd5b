"""The Klaviyo seam: an async httpx client for the two event endpoints.

One pooled `httpx.AsyncClient` per integration, timeouts always set, one revision
constant, and both of Klaviyo's rate-limit windows kept on the client side so that a
push does not provoke storms of 429s. Every answer, and every transport failure, comes
back as a `Response` with Klaviyo's error parsed into code, title and detail; nothing
here raises on an HTTP status, and nothing here ever puts the key into a message.
"""

from __future__ import annotations

import html
import json
import logging
import re
import time
from dataclasses import dataclass
from types import TracebackType

import httpx

from .clock import SYSTEM_CLOCK, Clock
from .ratelimit import BULK_LIMITS, EVENT_LIMITS, Limits, WindowLimiter
from .settings import ApiKey, check_base_url

__all__ = [
    "DEFAULT_TIMEOUT",
    "REVISION",
    "KlaviyoClient",
    "Response",
]

log = logging.getLogger(__name__)

REVISION = "2026-10-15"
"""Klaviyo API revision sent on every call; revisions retire two years after release."""

EVENTS_PATH = "/api/events"
BULK_PATH = "/api/event-bulk-create-jobs"
CONTENT_TYPE = "application/vnd.api+json"
DEFAULT_TIMEOUT = httpx.Timeout(15.0, connect=5.0)
LIMIT_MARGIN = 0.95
"""Use this fraction of Klaviyo's windows: our clock and theirs never agree exactly."""
LIMIT_SLACK = 2
"""And stay at least this many requests under each window. Klaviyo counts a request
when it arrives, we count it when it leaves, and a 1,000-event bulk body can arrive a
few hundred milliseconds after a later, smaller one; in the bulk endpoint's one-second
window of ten, 5% is not one request, and a million-event backfill at nine a second
met forty-odd 429s. Bulk throughput is set by its minute window, so this costs nothing
there."""

_TITLE = re.compile(rb"<title>(.*?)</title>", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class Response:
    """What came back from one request, or why nothing did."""

    status: int | None
    """HTTP status; None when the request never got an answer."""
    duration_ms: float
    error_code: str | None = None
    error_title: str | None = None
    error_detail: str | None = None
    retry_after: float | None = None
    """Seconds Klaviyo asked us to wait (429)."""
    remaining: int | None = None
    """Requests left in the steady window, from `RateLimit-Remaining`."""
    reset: float | None = None
    """Seconds until the steady window frees up, from `RateLimit-Reset`."""

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def throttled(self) -> bool:
        return self.status == 429

    @property
    def retryable(self) -> bool:
        """Worth sending again: no answer, a server error, a timeout status."""
        return self.status is None or self.status >= 500 or self.status == 408

    def describe(self) -> str:
        """One line for a log or a screen: status, code and title."""
        status = str(self.status) if self.status is not None else "no answer"
        parts = [p for p in (self.error_code, self.error_title, self.error_detail) if p]
        return f"{status}: {' - '.join(parts)}" if parts else status


class KlaviyoClient:
    """Sends events for one key; use as an async context manager."""

    def __init__(
        self,
        key: ApiKey,
        *,
        base_url: str,
        clock: Clock = SYSTEM_CLOCK,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        max_connections: int = 32,
        event_limits: Limits = EVENT_LIMITS,
        bulk_limits: Limits = BULK_LIMITS,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._key = key
        self.base_url = check_base_url(base_url)
        self.clock = clock
        self._events = WindowLimiter(
            event_limits.scaled(LIMIT_MARGIN, slack=LIMIT_SLACK), clock
        )
        self._bulk = WindowLimiter(
            bulk_limits.scaled(LIMIT_MARGIN, slack=LIMIT_SLACK), clock
        )
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            timeout=timeout,
            transport=transport,
            limits=httpx.Limits(
                max_connections=max_connections,
                max_keepalive_connections=max_connections,
            ),
            headers={
                "Accept": CONTENT_TYPE,
                "Content-Type": CONTENT_TYPE,
                "revision": REVISION,
                "User-Agent": "klaviyo-toolkit",
            },
        )

    def __repr__(self) -> str:
        return f"KlaviyoClient({self.base_url!r}, key={self._key.masked!r})"

    async def __aenter__(self) -> KlaviyoClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def create_event(self, body: bytes) -> Response:
        """POST one event body to `/api/events`."""
        return await self._post(EVENTS_PATH, body, self._events)

    async def create_events_bulk(self, payload: bytes) -> Response:
        """POST one bulk job (up to 1,000 events) to `/api/event-bulk-create-jobs`."""
        return await self._post(BULK_PATH, payload, self._bulk)

    async def _post(self, path: str, body: bytes, limiter: WindowLimiter) -> Response:
        await limiter.acquire()

        started = time.perf_counter()
        try:
            answer = await self._http.post(
                path,
                content=body,
                headers={"Authorization": f"Klaviyo-API-Key {self._key.reveal()}"},
            )
        except httpx.TimeoutException as error:
            return _no_answer("timeout", "The request timed out", error, started)
        except httpx.TransportError as error:
            return _no_answer(
                "connection_error", "The connection failed", error, started
            )

        response = _parse(answer, started)
        log.debug(
            "POST %s -> %s in %.1f ms", path, response.describe(), response.duration_ms
        )
        await self._respect_limits(response, limiter)
        return response

    async def _respect_limits(self, response: Response, limiter: WindowLimiter) -> None:
        """Wait out a 429, or an exhausted window that another sender used up."""
        if response.throttled:
            await limiter.pause(response.retry_after or 1.0)
        elif response.remaining == 0 and response.reset:
            await limiter.pause(response.reset)


def _elapsed_ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def _no_answer(code: str, title: str, error: Exception, started: float) -> Response:
    # httpx messages name the URL at most, never headers, so they carry no key.
    detail = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    return Response(
        status=None,
        duration_ms=_elapsed_ms(started),
        error_code=code,
        error_title=title,
        error_detail=detail[:500],
    )


def _parse(answer: httpx.Response, started: float) -> Response:
    code, title, detail = (
        _error_fields(answer) if answer.status_code >= 400 else (None, None, None)
    )
    return Response(
        status=answer.status_code,
        duration_ms=_elapsed_ms(started),
        error_code=code,
        error_title=title,
        error_detail=detail,
        retry_after=_number(answer.headers.get("Retry-After")),
        remaining=_integer(answer.headers.get("RateLimit-Remaining")),
        reset=_number(answer.headers.get("RateLimit-Reset")),
    )


def _error_fields(answer: httpx.Response) -> tuple[str | None, str | None, str | None]:
    """Klaviyo's first error as (code, title, detail); for an HTML page, its <title>."""
    content = answer.content
    try:
        document = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        return _html_error(answer)

    errors = document.get("errors") if isinstance(document, dict) else None
    if not isinstance(errors, list) or not errors or not isinstance(errors[0], dict):
        return (
            "unexpected_body",
            f"HTTP {answer.status_code}",
            content[:200].decode(errors="replace"),
        )
    first = errors[0]
    detail = str(first.get("detail") or "")
    pointer = (
        (first.get("source") or {}).get("pointer")
        if isinstance(first.get("source"), dict)
        else None
    )
    if pointer:
        detail = f"{detail} (at {pointer})" if detail else f"at {pointer}"
    if len(errors) > 1:
        detail = f"{detail} (+{len(errors) - 1} more)"
    return (
        str(first.get("code") or "") or None,
        str(first.get("title") or "") or None,
        detail[:1000] or None,
    )


def _html_error(answer: httpx.Response) -> tuple[str | None, str | None, str | None]:
    match = _TITLE.search(answer.content[:10_000])
    title = (
        html.unescape(match.group(1).decode(errors="replace")).strip() if match else ""
    )
    kind = "html_error" if b"<" in answer.content[:200] else "unexpected_body"
    text = title or answer.content[:120].decode(errors="replace").strip()
    return (kind, f"HTTP {answer.status_code} with a non-JSON body", text or None)


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _integer(value: str | None) -> int | None:
    number = _number(value)
    return int(number) if number is not None else None
