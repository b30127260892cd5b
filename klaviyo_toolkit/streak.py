"""The failure-streak gate: Anedot's five-in-a-row rule, kept under concurrency.

Every failed request adds one to the integration's streak and any success resets it; at
the threshold the integration turns inactive and nothing more is sent for it. Sending
many requests at once must not overshoot that rule, so the gate lets only one request
out at a time while the streak is not zero (a probe, after an exponential, jittered
pause) and opens to full concurrency again after a success. A push also starts with one
probe, so a bad key costs exactly `threshold` requests however wide the push.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from typing import Literal

from .clock import Clock

__all__ = ["Result", "StreakGate"]

Result = Literal["success", "failure", "neutral"]

BACKOFF_BASE = 0.5
BACKOFF_CAP = 60.0


class StreakGate:
    """Admits requests for one integration and keeps its consecutive-failure count."""

    def __init__(
        self,
        *,
        threshold: int,
        streak: int,
        concurrency: int,
        clock: Clock,
        seed: int | None = None,
    ) -> None:
        self.threshold = threshold
        self.streak = streak
        self.concurrency = max(1, concurrency)
        self.clock = clock
        self.in_flight = 0
        self.stopped = streak >= threshold
        self.stop_reason: str | None = None
        self._probing = True
        self._not_before = 0.0
        self._random = random.Random(seed)
        self._changed = asyncio.Condition()

    async def acquire(self) -> bool:
        """Wait for a turn to send; False once the gate has stopped for good."""
        async with self._changed:
            while True:
                if self.stopped:
                    return False
                limit = 1 if self._probing else self.concurrency
                wait = self._not_before - self.clock.now()
                if self.in_flight < limit and wait <= 0:
                    self.in_flight += 1
                    return True
                await self._wait(wait if self.in_flight < limit else None)

    async def release(self, result: Result, *, error: str | None = None) -> None:
        """Report how the request went; a failure may stop the gate."""
        async with self._changed:
            self.in_flight -= 1
            if result == "success":
                self.streak = 0
                self._probing = False
            elif result == "failure":
                self.streak += 1
                self._probing = True
                self._not_before = self.clock.now() + self._backoff()
                if self.streak >= self.threshold and not self.stopped:
                    self.stopped = True
                    self.stop_reason = (
                        f"{self.streak} failed relay attempts in a row"
                        + (f"; last: {error}" if error else "")
                    )
            self._changed.notify_all()

    async def stop(self, reason: str) -> None:
        """Stop from outside (paused by hand while the push ran)."""
        async with self._changed:
            if not self.stopped:
                self.stopped = True
                self.stop_reason = reason
            self._changed.notify_all()

    def _backoff(self) -> float:
        """Exponential in the streak; jitter keeps parallel pushes apart."""
        ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2.0 ** max(0, self.streak - 1))
        return float(ceiling * (0.5 + 0.5 * self._random.random()))

    async def _wait(self, clock_seconds: float | None) -> None:
        if clock_seconds is None:
            await self._changed.wait()
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(
                self._changed.wait(), timeout=clock_seconds / self.clock.speed
            )
