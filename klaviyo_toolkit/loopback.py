"""Serving an ASGI app with uvicorn from a background thread, on a loopback socket.

The simulator and the webhook receiver both run this way in tests and the demo: bind the
socket ourselves (so the port is known before the server starts), start uvicorn in a
thread, and return once it really listens.
"""

from __future__ import annotations

import socket
import threading
from typing import Any

import uvicorn

from .settings import is_loopback

__all__ = ["LOOPBACK", "ThreadedServer", "bind", "is_loopback", "require_loopback"]

LOOPBACK = "127.0.0.1"
STARTUP_TIMEOUT = 15.0


def require_loopback(host: str) -> None:
    if not is_loopback(host):
        raise ValueError(
            f"{host!r} is not a loopback address; this server only listens on this "
            "machine (127.0.0.1, ::1 or localhost)."
        )


def bind(host: str, port: int) -> socket.socket:
    """A listening-ready TCP socket with Nagle off for every connection it accepts.

    asyncio turns Nagle off only for sockets made with IPPROTO_TCP named; with it on, an
    answer's header and body writes wait about 40 ms for a delayed ACK.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


def config(app: Any, *, host: str, port: int, **options: Any) -> uvicorn.Config:
    """Quiet uvicorn settings: no access log, no lifespan, httptools, keep-alive on.

    No log_config: a library leaves log handlers to the program that embeds it.
    """
    settings: dict[str, Any] = {
        "log_level": "warning",
        "access_log": False,
        "lifespan": "off",
        "http": "httptools",
        "ws": "none",
        "log_config": None,
        "server_header": False,
    }
    return uvicorn.Config(app, host=host, port=port, **{**settings, **options})


class ThreadedServer(uvicorn.Server):
    """A uvicorn server run from a thread, which says when it listens."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()
        self._thread: threading.Thread | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        try:
            await super().startup(sockets)
        finally:
            self.ready.set()

    def start_in_thread(self, sock: socket.socket, *, name: str) -> None:
        """Serve `sock` from a daemon thread; return once listening, or raise."""
        self._thread = threading.Thread(
            target=self._run, args=(sock,), name=name, daemon=True
        )
        self._thread.start()
        self.ready.wait(STARTUP_TIMEOUT)
        if not self.started:
            self.stop_thread()
            raise RuntimeError(f"the {name} server did not start")

    def stop_thread(self) -> None:
        self.should_exit = True
        if self._thread is not None:
            self._thread.join(STARTUP_TIMEOUT)
            self._thread = None

    def _run(self, sock: socket.socket) -> None:
        try:
            self.run(sockets=[sock])
        finally:
            sock.close()
            self.ready.set()
