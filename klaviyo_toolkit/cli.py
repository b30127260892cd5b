"""`klaviyo-toolkit`: a thin shell over `Toolkit`.

Each command opens the toolkit, calls one method, and prints either a table for people
or, with `--json`, one JSON document for scripts. A `ToolkitError` becomes one sentence
on stderr and a non-zero exit; a traceback is kept for bugs, never for a user's mistake.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import polars as pl
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from .errors import ConfigError, RelayError, ToolkitError
from .relay import PushOptions, PushProgress, PushReport
from .scope import Selection, parse_moment
from .store import DB_ENV, DEFAULT_DB
from .toolkit import Toolkit

__all__ = ["main"]

EXIT_ERROR = 1
EXIT_INTERRUPTED = 130

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _configure_logging(args.verbose)
    try:
        handler: Callable[[argparse.Namespace], int] = args.handler
        return handler(args)
    except ToolkitError as error:
        # Plain text, never wrapped: scripts read this line, people read the sentence.
        sys.stderr.write(f"error: {error}\n")
        return EXIT_ERROR
    except KeyboardInterrupt:
        err.print(
            "interrupted: what was sent is recorded; run 'klaviyo-toolkit push' again "
            "to send the rest."
        )
        return EXIT_INTERRUPTED


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="klaviyo-toolkit",
        description=(
            "Relay Anedot submissions to Klaviyo, keeping every attempt in DuckDB."
        ),
    )
    parser.add_argument(
        "--db",
        type=Path,
        default=None,
        metavar="PATH",
        help=f"the DuckDB file (default: ${DB_ENV} or ./{DEFAULT_DB})",
    )
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="log more (-vv: debug)"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    _add_ingest(commands)
    _add_pages(commands)
    _add_integration(commands)
    _add_push(commands)
    _add_reports(commands)
    _add_serve(commands)
    _add_simulate(commands)
    _add_demo(commands)
    _accept_db_after_command(parser)
    return parser


def _accept_db_after_command(parser: argparse.ArgumentParser) -> None:
    """Let `--db` stand after the command too (`klaviyo-toolkit demo --db x.duckdb`).

    SUPPRESS keeps the value given before the command when none is given after it.
    """
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                sub.add_argument(
                    "--db", type=Path, default=argparse.SUPPRESS, help=argparse.SUPPRESS
                )
                _accept_db_after_command(sub)


# Parsers -----------------------------------------------------------------------------


def _json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON document")


def _add_ingest(commands: Any) -> None:
    ingest = commands.add_parser(
        "ingest", help="store submissions from .json/.jsonl files"
    )
    ingest.add_argument(
        "files", nargs="+", metavar="FILE", help="files or glob patterns"
    )
    _json_flag(ingest)
    ingest.set_defaults(handler=cmd_ingest)


def _add_pages(commands: Any) -> None:
    pages = commands.add_parser("pages", help="action pages and their teams")
    actions = pages.add_subparsers(dest="action", required=True, metavar="ACTION")
    imported = actions.add_parser(
        "import", help="read page id, name, team from CSV or JSON"
    )
    imported.add_argument("file", type=Path)
    _json_flag(imported)
    imported.set_defaults(handler=cmd_pages_import)
    listed = actions.add_parser("list", help="pages seen or imported, with their teams")
    _json_flag(listed)
    listed.set_defaults(handler=cmd_pages_list)
    team = actions.add_parser(
        "set-team", help="tag one page with a team ('' removes it)"
    )
    team.add_argument("page_id")
    team.add_argument("team")
    _json_flag(team)
    team.set_defaults(handler=cmd_pages_set_team)


def _scope_options(parser: argparse.ArgumentParser, *, adding: bool) -> None:
    keys = parser.add_mutually_exclusive_group(required=adding)
    keys.add_argument(
        "--api-key-env", metavar="VAR", help="environment variable holding the key"
    )
    keys.add_argument(
        "--api-key",
        metavar="KEY",
        help="a private key kept in the database file (the env var is safer)",
    )
    parser.add_argument("--pages", help="'all' or page ids separated by commas")
    parser.add_argument("--exclude", help="page ids never relayed, separated by commas")
    parser.add_argument("--team", help="relay only pages of this team ('' for none)")
    parser.add_argument(
        "--account", help="relay only this Anedot account (name or uid)"
    )
    parser.add_argument("--base-url", help="Klaviyo API root (http only on loopback)")
    parser.add_argument(
        "--value-unit", choices=("cents", "dollars"), help="value sent for an amount"
    )
    parser.add_argument(
        "--threshold", type=int, help="failures in a row that deactivate (default 5)"
    )


def _add_integration(commands: Any) -> None:
    integration = commands.add_parser(
        "integration", help="add, list, show, change integrations"
    )
    actions = integration.add_subparsers(dest="action", required=True, metavar="ACTION")

    add = actions.add_parser("add", help="register an integration")
    add.add_argument("name")
    _scope_options(add, adding=True)
    _json_flag(add)
    add.set_defaults(handler=cmd_integration_add)

    update = actions.add_parser("update", help="change scope, key or base URL")
    update.add_argument("name")
    _scope_options(update, adding=False)
    _json_flag(update)
    update.set_defaults(handler=cmd_integration_update)

    listed = actions.add_parser("list", help="every integration")
    _json_flag(listed)
    listed.set_defaults(handler=cmd_integration_list)

    for verb, helptext, handler in (
        ("show", "one integration in full", cmd_integration_show),
        (
            "reactivate",
            "turn an inactive integration back on",
            cmd_integration_reactivate,
        ),
        ("pause", "stop relaying until reactivated", cmd_integration_pause),
        (
            "remove",
            "forget an integration (its attempts are kept)",
            cmd_integration_remove,
        ),
    ):
        action = actions.add_parser(verb, help=helptext)
        action.add_argument("name")
        _json_flag(action)
        action.set_defaults(handler=handler)


def _add_push(commands: Any) -> None:
    push = commands.add_parser("push", help="send submissions to Klaviyo")
    push.add_argument(
        "--integration",
        metavar="NAME",
        help="one integration (default: every active one)",
    )
    push.add_argument("--mode", choices=("unsent", "all"), default="unsent")
    push.add_argument(
        "--since", metavar="DATE", help="created on or after (YYYY-MM-DD or ISO time)"
    )
    push.add_argument(
        "--until", metavar="DATE", help="created on or before (a date includes the day)"
    )
    push.add_argument("--kind", choices=("donation", "lead"))
    endpoint = push.add_mutually_exclusive_group()
    endpoint.add_argument(
        "--bulk",
        dest="bulk",
        action="store_true",
        default=None,
        help="use the bulk endpoint",
    )
    endpoint.add_argument(
        "--single", dest="bulk", action="store_false", help="one event per request"
    )
    push.add_argument(
        "--dry-run", action="store_true", help="map and count; send nothing"
    )
    push.add_argument(
        "--backfill", action="store_true", help="mark events historical: no flows fire"
    )
    push.add_argument(
        "--concurrency", type=int, default=8, help="requests in flight (default 8)"
    )
    _json_flag(push)
    push.set_defaults(handler=cmd_push)


def _add_reports(commands: Any) -> None:
    status = commands.add_parser(
        "status", help="integrations with their counts and streaks"
    )
    _json_flag(status)
    status.set_defaults(handler=cmd_status)

    attempts = commands.add_parser("attempts", help="the newest relay attempts")
    attempts.add_argument("--integration", metavar="NAME")
    attempts.add_argument(
        "--outcome", choices=("delivered", "failed", "throttled", "rejected")
    )
    attempts.add_argument("--limit", type=int, default=50)
    _json_flag(attempts)
    attempts.set_defaults(handler=cmd_attempts)

    quarantine = commands.add_parser(
        "quarantine", help="input rows that could not be stored"
    )
    quarantine.add_argument("--limit", type=int, default=50)
    _json_flag(quarantine)
    quarantine.set_defaults(handler=cmd_quarantine)

    preview = commands.add_parser(
        "preview", help="the Klaviyo bodies a push would send"
    )
    preview.add_argument("--integration", metavar="NAME")
    preview.add_argument("--id", action="append", dest="ids", metavar="SUBMISSION_ID")
    preview.add_argument("--limit", type=int, default=3)
    _json_flag(preview)
    preview.set_defaults(handler=cmd_preview)


def _add_serve(commands: Any) -> None:
    serve = commands.add_parser(
        "serve", help="receive Anedot webhooks (and relay them)"
    )
    serve.add_argument(
        "--host", default="127.0.0.1", help="address (default 127.0.0.1)"
    )
    serve.add_argument("--port", type=int, default=8766)
    serve.add_argument(
        "--secret-env",
        default="ANEDOT_WEBHOOK_SECRET",
        metavar="VAR",
        help="variable holding the webhook secret (default ANEDOT_WEBHOOK_SECRET)",
    )
    serve.add_argument(
        "--relay", action="store_true", help="push new submissions as they arrive"
    )
    serve.set_defaults(handler=cmd_serve)


def _add_simulate(commands: Any) -> None:
    simulate = commands.add_parser("simulate", help="serve a local Klaviyo simulator")
    simulate.add_argument("--port", type=int, default=8765)
    simulate.add_argument(
        "--speed", type=float, default=1.0, help="clock speed (60: a minute per second)"
    )
    simulate.add_argument(
        "--revoke",
        action="append",
        default=[],
        metavar="KEY",
        help="answer this key 401",
    )
    simulate.add_argument(
        "--error-rate", type=float, default=0.0, help="fraction answered 5xx"
    )
    simulate.add_argument(
        "--drop-rate", type=float, default=0.0, help="fraction of connections dropped"
    )
    simulate.add_argument(
        "--latency", type=float, default=0.0, help="clock seconds added to each answer"
    )
    simulate.set_defaults(handler=cmd_simulate)


def _add_demo(commands: Any) -> None:
    demo = commands.add_parser(
        "demo", help="the whole product on sample data and the simulator"
    )
    _json_flag(demo)
    demo.set_defaults(handler=cmd_demo)


# Commands ----------------------------------------------------------------------------


def _toolkit(args: argparse.Namespace) -> Toolkit:
    return Toolkit(args.db)


def cmd_ingest(args: argparse.Namespace) -> int:
    report = _toolkit(args).ingest(*args.files)
    if args.json:
        return _print_json(report.as_dict())
    out.print(
        f"read {report.read:,}: stored {report.stored:,}, "
        f"duplicates {report.duplicates:,}, quarantined {report.quarantined:,}"
    )
    for reason, count in report.reasons.most_common():
        out.print(f"  quarantined {count:,} x {reason}")
    if report.quarantined:
        out.print("  see them with: klaviyo-toolkit quarantine")
    return 0


def cmd_pages_import(args: argparse.Namespace) -> int:
    count = _toolkit(args).import_pages(args.file)
    return (
        _print_json({"imported": count})
        if args.json
        else _say(f"imported {count} pages")
    )


def cmd_pages_list(args: argparse.Namespace) -> int:
    return _print_frame(
        _toolkit(args).pages(),
        args.json,
        empty="No pages yet: ingest submissions or import pages.",
    )


def cmd_pages_set_team(args: argparse.Namespace) -> int:
    _toolkit(args).set_page_team(args.page_id, args.team or None)
    if args.json:
        return _print_json({"page_id": args.page_id, "team": args.team or None})
    return _say(f"page {args.page_id}: team {args.team or '(none)'}")


def _settings_from(args: argparse.Namespace) -> dict[str, Any]:
    chosen = {
        "api_key_env": args.api_key_env,
        "api_key": args.api_key,
        "pages": args.pages,
        "excluded_pages": args.exclude,
        "team": args.team,
        "account": args.account,
        "base_url": args.base_url,
        "value_unit": args.value_unit,
        "failure_threshold": args.threshold,
    }
    return {key: value for key, value in chosen.items() if value is not None}


def cmd_integration_add(args: argparse.Namespace) -> int:
    integration = _toolkit(args).add_integration(args.name, **_settings_from(args))
    return _show_integration(integration.as_dict(), args.json, verb="added")


def cmd_integration_update(args: argparse.Namespace) -> int:
    integration = _toolkit(args).update_integration(args.name, **_settings_from(args))
    return _show_integration(integration.as_dict(), args.json, verb="updated")


def cmd_integration_list(args: argparse.Namespace) -> int:
    rows = [i.as_dict() for i in _toolkit(args).integrations()]
    if args.json:
        return _print_json(rows)
    if not rows:
        return _say(
            "No integrations yet: add one with "
            "'klaviyo-toolkit integration add NAME --api-key-env VAR'."
        )
    table = Table(
        "name", "active", "streak", "pages", "excluded", "team", "key", "base url"
    )
    for row in rows:
        pages = row["pages"] if row["pages"] == "all" else ",".join(row["pages"])
        table.add_row(
            row["name"],
            _active(row),
            str(row["consecutive_failures"]),
            pages,
            ",".join(row["excluded_pages"]) or "-",
            row["team"] or "-",
            row["key"],
            row["base_url"],
        )
    out.print(table)
    return 0


def cmd_integration_show(args: argparse.Namespace) -> int:
    return _show_integration(_toolkit(args).integration(args.name).as_dict(), args.json)


def cmd_integration_reactivate(args: argparse.Namespace) -> int:
    integration = _toolkit(args).reactivate(args.name)
    return _show_integration(integration.as_dict(), args.json, verb="reactivated")


def cmd_integration_pause(args: argparse.Namespace) -> int:
    integration = _toolkit(args).pause(args.name)
    return _show_integration(integration.as_dict(), args.json, verb="paused")


def cmd_integration_remove(args: argparse.Namespace) -> int:
    _toolkit(args).remove_integration(args.name)
    return (
        _print_json({"removed": args.name})
        if args.json
        else _say(f"removed {args.name}")
    )


def cmd_push(args: argparse.Namespace) -> int:
    tk = _toolkit(args)
    Selection(
        mode=args.mode,
        since=parse_moment(args.since),
        until=parse_moment(args.until, end=True),
    )
    names = (
        [args.integration]
        if args.integration
        else [i.name for i in tk.integrations() if i.active]
    )
    if not names:
        raise RelayError(
            "There is no active integration to push; see 'klaviyo-toolkit status'."
        )
    options = PushOptions(concurrency=args.concurrency, backfill=args.backfill)
    reports = []
    for name in names:
        with _progress_bar(enabled=not args.json) as draw:
            reports.append(
                tk.push(
                    name,
                    mode=args.mode,
                    since=args.since,
                    until=args.until,
                    kind=args.kind,
                    dry_run=args.dry_run,
                    bulk=args.bulk,
                    options=options,
                    progress=draw(name),
                )
            )
    if args.json:
        return _print_json(
            reports[0].as_dict() if args.integration else [r.as_dict() for r in reports]
        )
    for report in reports:
        _print_push(report)
    return EXIT_ERROR if any(r.inactive or r.failed for r in reports) else 0


def cmd_status(args: argparse.Namespace) -> int:
    frame = _toolkit(args).status()
    if args.json:
        return _print_json(frame.to_dicts())
    if frame.is_empty():
        return _say(
            "No integrations yet: add one with "
            "'klaviyo-toolkit integration add NAME --api-key-env VAR'."
        )
    table = Table(
        "integration", "state", "streak", "in scope", "delivered", "failed",
        "rejected", "unsent",
    )  # fmt: skip
    for row in frame.iter_rows(named=True):
        table.add_row(
            row["name"],
            "active" if row["active"] else "[red]inactive[/red]",
            f"{row['consecutive_failures']}/{row['failure_threshold']}",
            f"{row['in_scope']:,}",
            f"{row['delivered']:,}",
            f"{row['failed']:,}",
            f"{row['rejected']:,}",
            f"{row['unsent']:,}",
        )
    out.print(table)
    for row in frame.iter_rows(named=True):
        if not row["active"]:
            since = (row["inactive_since"] or "")[:16].replace("T", " ")
            out.print(
                f"{row['name']}: inactive since {since}: {row['inactive_reason']}"
            )
        elif row["last_error"]:
            out.print(f"{row['name']}: last error: {row['last_error']}")
    return 0


def cmd_attempts(args: argparse.Namespace) -> int:
    frame = _toolkit(args).attempts(
        args.integration, outcome=args.outcome, limit=args.limit
    )
    shown = frame.select(
        "attempted_at",
        "integration",
        "submission_id",
        "http_status",
        "outcome",
        "error_title",
    )
    return _print_frame(
        shown if not args.json else frame,
        args.json,
        empty="No relay attempts yet: run 'klaviyo-toolkit push'.",
    )


def cmd_quarantine(args: argparse.Namespace) -> int:
    frame = _toolkit(args).quarantine(limit=args.limit)
    shown = frame if args.json else frame.select("source", "line", "code", "reason")
    return _print_frame(shown, args.json, empty="Nothing in quarantine.")


def cmd_preview(args: argparse.Namespace) -> int:
    frame = _toolkit(args).preview(
        args.integration, submission_ids=args.ids, limit=args.limit
    )
    if args.json:
        rows = frame.select(
            "submission_id", "status", "reason", "notes", "body"
        ).to_dicts()
        for row in rows:
            row["body"] = json.loads(row["body"]) if row["body"] else None
        return _print_json(rows)
    if frame.is_empty():
        return _say("No submissions match: ingest some first.")
    for row in frame.iter_rows(named=True):
        out.rule(f"{row['submission_id']} ({row['status']})")
        for note in row["notes"]:
            out.print(f"  - {note}")
        out.print_json(row["body"]) if row["body"] else out.print(
            f"  rejected: {row['reason']}"
        )
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from .webhook import WebhookReceiver, serve

    secret = os.environ.get(args.secret_env, "")
    if not secret:
        raise ConfigError(
            f"The environment variable {args.secret_env} is not set; export the "
            "webhook's secret from Anedot in it."
        )
    receiver = WebhookReceiver(_toolkit(args), secret=secret.encode(), relay=args.relay)
    err.print(
        f"Receiving Anedot webhooks on http://{args.host}:{args.port}/anedot"
        f"{' and relaying them' if args.relay else ''}; Ctrl-C stops."
    )
    serve(receiver, host=args.host, port=args.port)
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    from .simulator import Faults, serve

    faults = Faults(
        error_rate=args.error_rate, drop_rate=args.drop_rate, latency=args.latency
    )
    err.print(
        f"Klaviyo simulator on http://127.0.0.1:{args.port} "
        f"(clock x{args.speed:g}); Ctrl-C stops it."
    )
    try:
        serve(port=args.port, speed=args.speed, revoked_keys=args.revoke, faults=faults)
    except ValueError as error:
        raise ToolkitError(str(error)) from None
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import DEMO_DB, run_demo

    db = args.db or Path(DEMO_DB)
    bars = _progress_bar(enabled=not args.json)
    with bars as draw:
        result = run_demo(db, progress_for=lambda name, _total: draw(name))
    if args.json:
        return _print_json(
            {
                "db": str(result.db),
                "ingest": result.ingest.as_dict(),
                "pushes": [p.as_dict() for p in result.pushes],
                "status": result.status.to_dicts(),
                "accepted_events": result.accepted_events,
            }
        )
    ingest = result.ingest
    out.print(
        f"Ingested {ingest.stored:,} submissions into {result.db} "
        f"({ingest.quarantined} bad rows quarantined, {ingest.duplicates} duplicates)."
    )
    for report in result.pushes:
        _print_push(report)
    cmd_status(argparse.Namespace(db=result.db, json=False))
    out.print(f"\nThe simulator accepted {result.accepted_events:,} distinct events.")
    out.print(
        f"Watch it in the terminal app: [bold]klaviyo-tui --db {result.db}[/bold]"
    )
    return 0


# Output ------------------------------------------------------------------------------


class _progress_bar:
    """Rich progress bars on stderr, one per push, drawn from the first progress report.

    Nothing is drawn when disabled (JSON output) or before a push really starts, so a
    push refused at once prints its one error line and nothing else.
    """

    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[detail]}"),
            TimeRemainingColumn(),
            console=err,
            disable=not enabled,
        )
        self._started = False

    def __enter__(self) -> Callable[[str], Callable[[PushProgress], None]]:
        return self._callback

    def __exit__(self, *exc: object) -> None:
        if self._started:
            self.progress.stop()

    def _callback(self, name: str) -> Callable[[PushProgress], None]:
        task: list[TaskID] = []

        def update(state: PushProgress) -> None:
            if not self._started:
                self.progress.start()
                self._started = True
            if not task:
                task.append(self.progress.add_task(name, total=state.total, detail=""))
            detail = (
                f"failed {state.failed}  rejected {state.rejected}  "
                f"streak {state.streak}"
            )
            if state.stopped:
                detail += "  [red]inactive[/red]"
            self.progress.update(task[0], completed=state.done, detail=detail)

        return update


def _print_push(report: PushReport) -> None:
    if report.dry_run:
        out.print(
            f"{report.integration}: dry run, {report.selected:,} selected: "
            f"{report.sendable:,} would be sent ({report.endpoint}), "
            f"{report.rejected:,} rejected locally"
        )
        return
    line = (
        f"{report.integration}: {report.delivered:,} delivered, "
        f"{report.failed:,} failed, {report.rejected:,} rejected, "
        f"{report.not_sent:,} not sent ({report.requests:,} {report.endpoint} "
        f"requests, {report.throttled} throttled, {report.seconds:.1f} s)"
    )
    out.print(line)
    if report.inactive:
        out.print(f"  [red]now inactive[/red]: {report.inactive_reason}")
        out.print(
            "  fix the cause, then: klaviyo-toolkit integration reactivate "
            f"{report.integration}"
        )
    errors = Counter(failure["error"] for failure in report.failures)
    for error, count in errors.most_common(3):
        out.print(f"  {count} x {error}")


def _show_integration(
    row: dict[str, Any], as_json: bool, *, verb: str | None = None
) -> int:
    if as_json:
        return _print_json(row)
    if verb:
        out.print(f"{verb} {row['name']}")
    table = Table("setting", "value", show_header=False)
    for key, value in row.items():
        shown = (
            ",".join(value)
            if isinstance(value, list)
            else "-"
            if value is None
            else str(value)
        )
        table.add_row(key, shown)
    out.print(table)
    return 0


def _print_frame(frame: pl.DataFrame, as_json: bool, *, empty: str) -> int:
    if as_json:
        return _print_json(frame.to_dicts())
    if frame.is_empty():
        return _say(empty)
    table = Table(*frame.columns)
    for row in frame.iter_rows():
        table.add_row(*["-" if v is None else str(v) for v in row])
    out.print(table)
    return 0


def _print_json(document: Any) -> int:
    sys.stdout.write(json.dumps(document, default=str, indent=2) + "\n")
    return 0


def _say(text: str) -> int:
    out.print(text)
    return 0


def _active(row: dict[str, Any]) -> str:
    return (
        "active"
        if row["active"]
        else f"INACTIVE ({row.get('inactive_reason') or 'paused'})"
    )


def _configure_logging(verbosity: int) -> None:
    level = (
        logging.WARNING
        if verbosity == 0
        else logging.INFO
        if verbosity == 1
        else logging.DEBUG
    )
    logging.basicConfig(
        level=level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if verbosity < 2:
        logging.getLogger("httpx").setLevel(logging.WARNING)


if __name__ == "__main__":
    raise SystemExit(main())
