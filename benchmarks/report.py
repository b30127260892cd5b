"""The suite's table, and the two files it leaves: results.json and results.md."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from .common import machine
from .runner import Row, Settings

COLUMNS = ("case", "ours", "anchor", "ratio", "target", "met")


def table(rows: dict[str, Row]) -> str:
    """The rows as a Markdown table: readable in a terminal and in the README."""
    lines = [
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
    ]
    for row in rows.values():
        cells = [row.case, row.ours, row.anchor, row.ratio, row.target, _met(row)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _met(row: Row) -> str:
    return "yes" if row.met else "**no**"


def document(
    rows: dict[str, Row], settings: Settings, *, quick: bool, seconds: float
) -> dict[str, Any]:
    """Everything the run found, with the machine and sizes that give it meaning."""
    return {
        "machine": machine(),
        "settings": asdict(settings),
        "quick": quick,
        "seconds": round(seconds, 1),
        "cases": {key: asdict(row) for key, row in rows.items()},
    }


def markdown(found: dict[str, Any], rows: dict[str, Row]) -> str:
    """The table first, then the machine and sizes, then every run's figures."""
    heading = (
        f"# Benchmark results\n\n`python -m benchmarks`, {found['seconds']:,.0f} s."
    )
    if found["quick"]:
        heading += " A quick run: tiny sizes, figures that mean nothing."
    facts = "\n".join(f"- {key}: {value}" for key, value in found["machine"].items())
    settings = "\n".join(
        f"- {key}: {value:,}" for key, value in found["settings"].items()
    )
    runs = "\n\n".join(
        f"### {row.case}\n\n```json\n{json.dumps(row.details, indent=2)}\n```"
        for row in rows.values()
    )

    sections = [
        heading,
        table(rows),
        f"## Machine\n\n{facts}",
        f"## Settings\n\n{settings}",
        f"## Every run\n\n{runs}",
    ]
    return "\n\n".join(sections) + "\n"


def kept(out: Path, measuring: Sequence[str]) -> dict[str, Row]:
    """The rows of an earlier results.json in `out` that this run does not measure."""
    path = out / "results.json"
    if not path.exists():
        return {}
    try:
        cases = json.loads(path.read_text())["cases"]
        rows = {key: Row(**case) for key, case in cases.items()}
    except (ValueError, KeyError, TypeError) as error:
        message = f"{path} cannot be kept ({error}); move it away or rerun all cases"
        raise SystemExit(message) from error
    return {key: row for key, row in rows.items() if key not in measuring}


def write(found: dict[str, Any], rows: dict[str, Row], out: Path) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    as_json = out / "results.json"
    as_markdown = out / "results.md"
    as_json.write_text(json.dumps(found, indent=2) + "\n")
    as_markdown.write_text(markdown(found, rows))
    return as_json, as_markdown
