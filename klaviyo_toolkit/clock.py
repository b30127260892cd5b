"""The clock seam: real time, or time that runs faster for tests and benchmarks.

The relay, its rate limiters and the simulator all read time through a `Clock`, so that
Klaviyo's one-minute window can pass in a second of wall time while every component
still agrees on what "a minute" is.
"""

from __future__ import annotations

import asyncio
import time

__all__ = ["SYSTEM_CLOCK", "Clock"]


class Clock:
    """Monotonic time scaled by `speed`.

    1.0 is real time; 60.0 makes a minute last a second.
    """

    def __init__(self, speed: float = 1.0) -> None:
        if speed <= 0:
            raise ValueError("clock speed must be positive")
        self.speed = speed
        self._origin = time.monotonic()

    def now(self) -> float:
        """Seconds of clock time since this clock was made."""
        return (time.monotonic() - self._origin) * self.speed

    async def sleep(self, seconds: float) -> None:
        """Sleep `seconds` of clock time."""
        if seconds > 0:
            await asyncio.sleep(seconds / self.speed)

    def sleep_blocking(self, seconds: float) -> None:
        """Sleep `seconds` of clock time in a thread that has no event loop."""
        if seconds > 0:
            time.sleep(seconds / self.speed)

    def __repr__(self) -> str:
        return f"Clock(speed={self.speed:g})"


SYSTEM_CLOCK = Clock()
