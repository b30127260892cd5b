"""Sliding-window rate limits, shared by the Klaviyo client and the simulator.

Klaviyo counts requests per account in two windows at once: a burst window of one second
and a steady window of one minute. A token bucket cannot express both without letting
the first minute overshoot, so both sides keep a log of recent request times instead;
the log is at most as long as the window's limit, a few thousand floats.
"""

from __future__ import annotations

import asyncio
import math
from collections import deque
from dataclasses import dataclass

from .clock import Clock

__all__ = [
    "BULK_LIMITS",
    "EVENT_LIMITS",
    "Limits",
    "SlidingWindow",
    "WindowLimiter",
]


@dataclass(frozen=True)
class Limits:
    """Klaviyo's two windows for one endpoint."""

    burst: int
    """Requests allowed in any one-second window."""
    steady: int
    """Requests allowed in any sixty-second window."""

    def scaled(self, fraction: float, *, slack: int = 0) -> Limits:
        """The same limits scaled by `fraction` and at least `slack` requests under
        each, never below one request."""

        def under(limit: int) -> int:
            return max(1, min(int(limit * fraction), limit - slack))

        return Limits(under(self.burst), under(self.steady))


EVENT_LIMITS = Limits(burst=350, steady=3_500)
BULK_LIMITS = Limits(burst=10, steady=150)

BURST_WINDOW = 1.0
STEADY_WINDOW = 60.0


class SlidingWindow:
    """A log of request times answering 'may one more go now, and if not, when?'."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._times: deque[float] = deque()

    def _forget_before(self, now: float) -> None:
        horizon = now - self.window
        while self._times and self._times[0] <= horizon:
            self._times.popleft()

    def wait_time(self, now: float) -> float:
        """Clock seconds until one more request fits; 0.0 when it fits now."""
        self._forget_before(now)
        if len(self._times) < self.limit:
            return 0.0
        return self._times[0] + self.window - now

    def record(self, now: float) -> None:
        self._times.append(now)

    def remaining(self, now: float) -> int:
        self._forget_before(now)
        return self.limit - len(self._times)


class WindowLimiter:
    """Both windows of one endpoint, for many concurrent senders on one event loop."""

    def __init__(self, limits: Limits, clock: Clock) -> None:
        self.limits = limits
        self.clock = clock
        self._burst = SlidingWindow(limits.burst, BURST_WINDOW)
        self._steady = SlidingWindow(limits.steady, STEADY_WINDOW)
        self._spacing = BURST_WINDOW / limits.burst
        self._next_start = -math.inf
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        """Wait until one request fits in both windows, then count it.

        Requests are also spread evenly over the one-second window instead of leaving
        together: as many fit in any second, but a burst sent at once reaches Klaviyo
        spread out by the network and its queues, and part of it lands in the next
        second together with the next burst.
        """
        async with self._lock:
            while True:
                now = self.clock.now()
                wait = max(
                    self._burst.wait_time(now),
                    self._steady.wait_time(now),
                    self._next_start - now,
                )
                if wait <= 0:
                    self._burst.record(now)
                    self._steady.record(now)
                    self._next_start = now + self._spacing
                    return
                await self.clock.sleep(wait)

    async def pause(self, seconds: float) -> None:
        """Hold every sender back for `seconds` of clock time (a 429's Retry-After)."""
        async with self._lock:
            await self.clock.sleep(seconds)
