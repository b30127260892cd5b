"""klaviyo-tui: the operators' view of relays, streaks and inactive integrations.

    klaviyo-tui [--db PATH] [--demo]

The app never reads the store on the UI thread. A timer starts a refresh in a thread
worker, which reads the live part of the store (see `source`) and posts it back; the
counts follow in their own worker when they are due. Pushes and changes run in workers
too, so the screen keeps moving while they work. No connection outlives one refresh or
one action, so a notebook or a cron push can write the same file meanwhile.
"""

from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import ClassVar

from textual import work
from textual.binding import Binding, BindingType
from textual.logging import TextualHandler
from textual.worker import Worker, WorkerState

from klaviyo_toolkit.clock import SYSTEM_CLOCK, Clock
from klaviyo_toolkit.errors import ToolkitError
from klaviyo_toolkit.integrations import Integration
from klaviyo_toolkit.store import default_db_path

from .actions import OperatorActions
from .demo import DEMO_SPEED, LiveDemo, demo_db_path
from .format import at
from .messages import (
    CountsLoaded,
    DemoFailed,
    DemoReady,
    LiveLoaded,
    RefreshFailed,
)
from .screens.base import WatchScreen
from .screens.detail import DetailScreen
from .screens.main import MainScreen
from .source import (
    POLL_BUSY_TIMEOUT,
    Counts,
    CountsSchedule,
    Live,
    LogFilter,
    PushRequest,
    Source,
    is_busy,
)
from .widgets import RelayLog
from .widgets.header import NoticeKind

__all__ = ["POLL_SECONDS", "KlaviyoTui", "main"]

log = logging.getLogger(__name__)

POLL_SECONDS = 2.0

Now = Callable[[], datetime]


def local_now() -> datetime:
    return datetime.now().astimezone()


class KlaviyoTui(OperatorActions):
    """Watch one store; act on its integrations."""

    CSS_PATH = "klaviyo_tui.tcss"
    TITLE = "klaviyo-tui"
    # Every action has its own key in the footer; a palette would only add themes.
    ENABLE_COMMAND_PALETTE = False
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
        Binding("f5,ctrl+r", "refresh_now", "Refresh"),
        Binding("s", "stop_push", "Stop push"),
    ]

    def __init__(
        self,
        db: str | Path,
        *,
        demo: bool = False,
        now: Now = local_now,
        clock: Clock = SYSTEM_CLOCK,
        poll_interval: float = POLL_SECONDS,
        busy_timeout: float = POLL_BUSY_TIMEOUT,
        schedule: CountsSchedule | None = None,
    ) -> None:
        super().__init__()
        self.db = Path(db)
        self.source = Source(self.db, clock=clock, poll_timeout=busy_timeout)
        self.demo = LiveDemo(self.db, clock=clock) if demo else None
        self.now = now
        self.poll_interval = poll_interval
        self.schedule = schedule or CountsSchedule()
        self.live: Live | None = None
        self.counts: Counts | None = None
        self.errors: list[str] = []
        """Refresh failures other than a busy file, kept for whoever asks (tests do)."""
        self.refreshes = 0
        """Refreshes that read the store."""
        self.pushing = False
        self._refreshing = False
        self._again = False
        self._counting = False
        self._refreshed: datetime | None = None

    # Start and stop -------------------------------------------------------------------

    async def on_mount(self) -> None:
        await self.push_screen(MainScreen(str(self.db)))
        if self.demo is None:
            self._begin_polling()
            return
        self._say(
            "Preparing the demo: ingesting the sample, starting the simulator…",
            kind="info",
        )
        self._start_demo(self.demo)

    def on_unmount(self) -> None:
        # A push still running would otherwise keep the process alive after the screen
        # is gone; stopped, it writes what it has and ends.
        self.action_stop_push()
        if self.demo is not None:
            self.demo.stop()

    def _begin_polling(self) -> None:
        self.refresh_store()
        self.set_interval(self.poll_interval, self.refresh_store)

    @work(thread=True, group="demo", exit_on_error=False)
    def _start_demo(self, demo: LiveDemo) -> None:
        try:
            names = demo.start()
        except ToolkitError as error:
            self.post_message(DemoFailed(str(error)))
            return
        self.post_message(DemoReady(names))

    def on_demo_ready(self, message: DemoReady) -> None:
        self._begin_polling()
        self.start_pushes([PushRequest(name) for name in message.names])

    def on_demo_failed(self, message: DemoFailed) -> None:
        self._say(f"The demo could not start: {message.text}", kind="error")

    # Refresh --------------------------------------------------------------------------

    @property
    def watched(self) -> str | None:
        """The integration of the detail screen, when it is the watch screen on top."""
        for screen in reversed(self.screen_stack):
            if isinstance(screen, WatchScreen):
                return screen.integration if isinstance(screen, DetailScreen) else None
        return None

    def refresh_store(self) -> None:
        """Start a refresh, or ask for another one right after the one running."""
        if self._refreshing:
            self._again = True
            return
        self._refreshing = True
        self._again = False
        self._read_live(self._log_filter(), self.watched)

    def on_relay_log_filter_changed(self, _: RelayLog.FilterChanged) -> None:
        self.refresh_store()

    def action_refresh_now(self) -> None:
        self.schedule.forget()
        self.refresh_store()

    def _log_filter(self) -> LogFilter:
        main = self._main()
        return main.query_one(RelayLog).log_filter if main is not None else LogFilter()

    @work(thread=True, group="refresh", exit_on_error=False)
    def _read_live(self, log_filter: LogFilter, watched: str | None) -> None:
        refreshed = self.now()
        try:
            live = self.source.live(log_filter, watched, now=refreshed)
        except ToolkitError as error:
            self.post_message(
                RefreshFailed(str(error), busy=is_busy(error), part="live")
            )
            return
        self.post_message(LiveLoaded(live, refreshed))

    @work(thread=True, group="counts", exit_on_error=False)
    def _read_counts(
        self, watched: str | None, fingerprint: tuple[object, ...]
    ) -> None:
        started = time.monotonic()
        try:
            counts = self.source.counts(watched, now=self.now())
        except ToolkitError as error:
            self.post_message(
                RefreshFailed(str(error), busy=is_busy(error), part="counts")
            )
            return
        took = time.monotonic() - started
        self.post_message(CountsLoaded(counts, fingerprint, started=started, took=took))

    def on_live_loaded(self, message: LiveLoaded) -> None:
        self.refreshes += 1
        self.live = message.live
        self._refreshed = message.refreshed
        for screen in self.watch_screens():
            screen.quiet()
            screen.show_live(message.live, message.refreshed)
        self._count_if_due(message.live)
        self._refresh_done()

    def on_counts_loaded(self, message: CountsLoaded) -> None:
        self._counting = False
        self.schedule.record(
            message.fingerprint,
            message.counts.watched,
            started=message.started,
            took=message.took,
        )
        self.counts = message.counts
        for screen in self.watch_screens():
            screen.show_counts(message.counts, message.counts.read_at)

    def on_refresh_failed(self, message: RefreshFailed) -> None:
        if message.busy:
            read = at(self._refreshed, self.now()) if self._refreshed else "nothing yet"
            self._say(
                "The database is busy: another process is writing to it. "
                f"Shown: what was read at {read}. Retrying…",
                kind="busy",
            )
        else:
            self.errors.append(message.text)
            self._say(message.text, kind="error")
        if message.part == "live":
            self._refresh_done()
        else:
            self._counting = False

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A worker that died of something unexpected: say so and keep going."""
        if event.state != WorkerState.ERROR:
            return
        error = event.worker.error
        log.error("worker %s failed", event.worker.name, exc_info=error)
        text = f"Something went wrong ({type(error).__name__}: {error})."
        self.errors.append(text)
        self._say(text, kind="error")
        group = event.worker.group
        if group == "refresh":
            self._refresh_done()
        elif group == "counts":
            self._counting = False
        elif group == "push":
            self.push_ended()

    def _count_if_due(self, live: Live) -> None:
        if self._counting:
            return
        if self.schedule.due(live.fingerprint, self.watched, clock=time.monotonic()):
            self._counting = True
            self._read_counts(self.watched, live.fingerprint)

    def _refresh_done(self) -> None:
        self._refreshing = False
        if self._again:
            self.refresh_store()

    # What the actions ask of the app --------------------------------------------------

    def find(self, name: str) -> Integration | None:
        if self.live is None:
            return None
        return next((i for i in self.live.integrations if i.name == name), None)

    def open_detail(self, name: str) -> None:
        self.push_screen(DetailScreen(name))
        self.refresh_store()

    # Screens --------------------------------------------------------------------------

    def _main(self) -> MainScreen | None:
        return next((s for s in self.screen_stack if isinstance(s, MainScreen)), None)

    def _say(self, text: str, *, kind: NoticeKind) -> None:
        for screen in self.watch_screens():
            screen.say(text, kind=kind)


def main(argv: list[str] | None = None) -> int:
    """The `klaviyo-tui` command."""
    parser = argparse.ArgumentParser(
        prog="klaviyo-tui",
        description="Watch relays, streaks and inactive integrations; act on them.",
    )
    parser.add_argument(
        "--db",
        type=Path,
        help="the DuckDB file (default: $KLAVIYO_TOOLKIT_DB, else "
        "./klaviyo_toolkit.duckdb; with --demo, a new file in a temporary folder)",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="run the demo live: sample data, a local Klaviyo simulator, three pushes",
    )
    args = parser.parse_args(argv)

    # Log lines would tear the screen; Textual's handler sends them to its dev console.
    logging.basicConfig(level=logging.INFO, handlers=[TextualHandler()])
    db = args.db or (demo_db_path() if args.demo else default_db_path())
    clock = Clock(DEMO_SPEED) if args.demo else SYSTEM_CLOCK
    KlaviyoTui(db, demo=args.demo, clock=clock).run()
    if args.demo:
        print(f"The demo store is kept at {db}.")
    return 0
