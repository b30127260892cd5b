"""The bad-rows file: good rows mixed with one spoiled line of each kind, and beside it
what ingest should do with every line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from .sample_generate import generate
from .sample_pools import BAD_FILE_GOOD_ROWS, BAD_ROWS_SEED_SHIFT, DEFAULT_SEED
from .sample_render import camel_object, render

# One bad line of each kind: (kind, outcome, reason, field the reason is about).
BAD_LINES = (
    ("truncated", "quarantined", "invalid_json", None),
    ("empty", "skipped", "empty_line", None),
    ("no_id", "quarantined", "no_id", "id"),
    ("numeric_id", "quarantined", "bad_id", "id"),
    ("words_date", "quarantined", "bad_created_at", "createdAt"),
    ("impossible_date", "quarantined", "bad_created_at", "createdAt"),
    ("words_amount", "quarantined", "bad_amount", "amount"),
    ("negative_amount", "quarantined", "negative_amount", "amount"),
    ("array", "quarantined", "not_an_object", None),
    ("number", "quarantined", "not_an_object", None),
    ("duplicate", "duplicate", "duplicate_id", "id"),
)


def write_bad_rows(path: str | Path, *, seed: int = DEFAULT_SEED) -> Path:
    """Write good camelCase rows mixed with one bad line of each kind in `BAD_LINES`.

    Beside it, `<stem>.expected.json` says what ingest should do with each line
    (1-based): "stored", "skipped", "duplicate" or "quarantined", with a reason.
    """
    frame = generate(
        BAD_FILE_GOOD_ROWS + len(BAD_LINES),
        seed=seed + BAD_ROWS_SEED_SHIFT,
        include_annie=False,
    )
    rows = render(frame, camel_object()).to_list()
    good, spare = rows[:BAD_FILE_GOOD_ROWS], rows[BAD_FILE_GOOD_ROWS:]
    entries = [_good_entry(line) for line in good]
    entries += [
        _bad_entry(spec, row, good[0])
        for spec, row in zip(BAD_LINES, spare, strict=True)
    ]

    # The first and last lines stay good: the duplicate then always has an earlier
    # original, and the empty line is never mistaken for the file's final newline.
    middle = entries[1 : BAD_FILE_GOOD_ROWS - 1] + entries[BAD_FILE_GOOD_ROWS:]
    order = np.random.default_rng(seed).permutation(len(middle))
    ordered = [entries[0], *(middle[i] for i in order), entries[BAD_FILE_GOOD_ROWS - 1]]
    return _write_bad_rows(Path(path), ordered)


def _good_entry(line: str) -> tuple[str, dict[str, Any]]:
    """A line that should be stored, with what the expectations file says of it."""
    return line, {"outcome": "stored", "id": json.loads(line)["id"]}


def _bad_entry(
    spec: tuple[str, str, str, str | None], line: str, original: str
) -> tuple[str, dict[str, Any]]:
    """A spoiled copy of a good row, with the outcome ingest should give it."""
    kind, outcome, reason, field = spec
    text = _spoiled(kind, json.loads(line), line, original)

    expected: dict[str, Any] = {"outcome": outcome, "reason": reason}
    if field is not None:
        expected["field"] = field
    if (submission_id := _readable_id(text)) is not None:
        expected["id"] = submission_id
    return text, expected


def _readable_id(text: str) -> str | None:
    """The submission id a line carries, if it is an object with a string id."""
    try:
        row = json.loads(text)
    except ValueError:
        return None
    found = row.get("id") if isinstance(row, dict) else None
    return found if isinstance(found, str) else None


def _spoiled(kind: str, row: dict[str, Any], line: str, original: str) -> str:
    """The text of one bad line."""
    match kind:
        case "truncated":
            return line[: len(line) // 2]
        case "empty":
            return ""
        case "array":
            return json.dumps(["not", "an", "object"])
        case "number":
            return "42"
        case "duplicate":
            return original
        case "no_id":
            del row["id"]
        case "numeric_id":
            row["id"] = 12345
        case "words_date":
            row["createdAt"] = "yesterday"
        case "impossible_date":
            row["createdAt"] = "2026-02-30T10:00:00Z"
        case "words_amount":
            row |= {"kind": "donation", "amount": "twenty"}
        case "negative_amount":
            row |= {"kind": "donation", "amount": "-5.00"}
    return json.dumps(row, ensure_ascii=False, separators=(",", ":"))


def _write_bad_rows(path: Path, entries: list[tuple[str, dict[str, Any]]]) -> Path:
    """Write the lines and, beside them, the expectations: one line of JSON per line."""
    outcomes = [expected["outcome"] for _, expected in entries]
    counts = {o: outcomes.count(o) for o in ("stored", "duplicate", "quarantined")}
    counts["skipped"] = outcomes.count("skipped")
    described = [
        json.dumps({"line": number, **expected})
        for number, (_, expected) in enumerate(entries, 1)
    ]
    header = f'{{"file": {json.dumps(path.name)}, "counts": {json.dumps(counts)},'

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(text + "\n" for text, _ in entries), encoding="utf-8")
    expected_path = path.with_name(f"{path.name.split('.')[0]}.expected.json")
    body = "\n".join([header, ' "lines": [', "  " + ",\n  ".join(described), "]}\n"])
    expected_path.write_text(body, encoding="utf-8")
    return path
