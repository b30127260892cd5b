"""A seeded generator of realistic Anedot submissions, in both of Anedot's input shapes.

`generate` draws one neutral polars frame; the writers render it as the camelCase
"submission raw data" of Anedot's mapping table or as snake_case webhook bodies, so both
files carry the same facts for the same submission ids. Columns are drawn with numpy and
assembled with polars expressions, never a Python loop per row, so a million submissions
take seconds. The same seed always gives the same bytes.

The work lives in `sample_pools` (the facts drawn from), `sample_generate` (the frame),
`sample_render` (the two shapes) and `sample_bad_rows`; this module is their front.

`write_sample` writes the committed `data/sample/` folder. From a shell:

    python -m klaviyo_toolkit.sample DIR [--n N] [--seed S] [--shape camel|webhook]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path

import polars as pl

from .sample_bad_rows import write_bad_rows
from .sample_generate import generate
from .sample_pools import (
    ACCOUNTS,
    ANNIE_DOT_ID,
    BAD_FILE_GOOD_ROWS,
    BASE_TIME,
    COLUMNS,
    DEFAULT_SEED,
    FLAT_FRACTION,
    JSON_ARRAY_ROWS,
    LEAD_FRACTION,
    PAGES,
    PHONE_KINDS,
    SAMPLE_SIZE,
    SPAN_DAYS,
    Account,
    CustomField,
    Page,
)
from .sample_render import (
    write_camel_json,
    write_camel_jsonl,
    write_pages,
    write_webhook_jsonl,
)

__all__ = [
    "ACCOUNTS",
    "ANNIE_DOT_ID",
    "BASE_TIME",
    "COLUMNS",
    "DEFAULT_SEED",
    "FLAT_FRACTION",
    "LEAD_FRACTION",
    "PAGES",
    "PHONE_KINDS",
    "SAMPLE_SIZE",
    "SPAN_DAYS",
    "Account",
    "CustomField",
    "Page",
    "generate",
    "main",
    "write_bad_rows",
    "write_camel_json",
    "write_camel_jsonl",
    "write_pages",
    "write_sample",
    "write_webhook_jsonl",
]


def write_sample(
    directory: str | Path, *, n: int = SAMPLE_SIZE, seed: int = DEFAULT_SEED
) -> list[Path]:
    """Write the sample folder: both shapes, a JSON array, pages, bad rows, a README."""
    directory = Path(directory)
    frame = generate(n, seed=seed)
    written = [
        write_camel_jsonl(frame, directory / "submissions.jsonl"),
        write_webhook_jsonl(frame, directory / "webhooks.jsonl"),
        write_camel_json(frame.head(JSON_ARRAY_ROWS), directory / "submissions.json"),
        write_pages(directory / "pages.csv"),
        write_bad_rows(directory / "bad_rows.jsonl", seed=seed),
        directory / "bad_rows.expected.json",
    ]

    readme = directory / "README.md"
    readme.write_text(_sample_readme(frame, n=n, seed=seed), encoding="utf-8")
    return [*written, readme]


def _sample_readme(frame: pl.DataFrame, *, n: int, seed: int) -> str:
    """The sample folder's README, with the command that made it and what it holds."""
    leads = frame.filter(pl.col("kind") == "lead").height
    foreign = frame.filter(pl.col("country") != "US").height
    return f"""# Sample Anedot submissions

Made by `klaviyo_toolkit/sample.py`; do not edit by hand. `tests/test_sample.py` checks
that these files equal what the generator writes now. To remake them:

    python -m klaviyo_toolkit.sample data/sample --n {n} --seed {seed}

| file | what it is |
|---|---|
| `submissions.jsonl` | {n} submissions as camelCase "submission raw data" |
| `webhooks.jsonl` | the same {n} as webhook bodies, `{{"event", "payload"}}` or flat |
| `submissions.json` | the first {JSON_ARRAY_ROWS} submissions as one JSON array |
| `pages.csv` | the {len(PAGES)} Action Pages: `page_id,name,account,team` |
| `bad_rows.jsonl` | {BAD_FILE_GOOD_ROWS} good rows and one bad line of each kind |
| `bad_rows.expected.json` | what ingest should do with each line of `bad_rows.jsonl` |

The first submission is Annie Dot's, the example on Anedot's Klaviyo integration page;
the others run over {SPAN_DAYS} days from {BASE_TIME:%Y-%m-%d}, with a burst before the
quarter's deadline. In all: {n - leads} donations (one-off and recurring, mostly
completed) and {leads} leads, on the pages of {len(ACCOUNTS)} accounts and 2 teams;
{foreign} from outside the US. Phones come bare, with a leading 1, formatted,
international, as junk, or not at all. A few donors have no email, and a couple have
neither email nor usable phone, so they cannot be sent. Some donors give more than once.

Webhook payloads leave out keys that have no value. Where a row lacks an account uid,
both files lack it; where a webhook lacks `created_at_iso8601`, the time has whole
seconds, so both files still carry the same instant.
"""


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m klaviyo_toolkit.sample DIR`: write a sample, or one large file."""
    parser = argparse.ArgumentParser(
        prog="python -m klaviyo_toolkit.sample",
        description="Write generated Anedot submissions: the sample folder by default, "
        "or only DIR/submissions.jsonl or DIR/webhooks.jsonl with --shape.",
    )
    parser.add_argument("dir", type=Path)
    parser.add_argument("--n", type=int, default=SAMPLE_SIZE)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--shape", choices=("camel", "webhook"))
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error("--n must be at least 1")

    started = time.perf_counter()
    if args.shape is None:
        paths = write_sample(args.dir, n=args.n, seed=args.seed)
    elif args.shape == "camel":
        frame = generate(args.n, seed=args.seed)
        paths = [write_camel_jsonl(frame, args.dir / "submissions.jsonl")]
    else:
        frame = generate(args.n, seed=args.seed)
        paths = [write_webhook_jsonl(frame, args.dir / "webhooks.jsonl")]

    elapsed = time.perf_counter() - started
    print(f"wrote {', '.join(str(p) for p in paths)} in {elapsed:.1f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
