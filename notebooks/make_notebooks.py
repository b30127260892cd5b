"""Write the notebooks of this folder from the cells below, with no outputs.

The notebooks are generated so that their source stays reviewable as Python and they are
committed clean (a test checks both). Edit the cells here, then run:

    python notebooks/make_notebooks.py
"""

# nbformat has no type hints; its calls are the whole point of this script.
# mypy: disable-error-code="no-untyped-call"

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.notebooknode import NotebookNode

HERE = Path(__file__).resolve().parent

SETUP = """\
import tempfile
from pathlib import Path

import polars as pl

from klaviyo_toolkit import Clock, PushOptions, Toolkit
from klaviyo_toolkit.demo import sample_files
from klaviyo_toolkit.simulator import Simulator

# The committed sample of a checkout, or the same files generated where there is none.
SAMPLE = sample_files()
WORK = Path(tempfile.mkdtemp(prefix="klaviyo-notebook-"))
tk = Toolkit(WORK / "relay.duckdb")
tk"""

EXPLORE: list[tuple[str, str]] = [
    (
        "markdown",
        """\
# Explore Anedot submissions and preview what Klaviyo gets

This notebook starts from an empty DuckDB file and the sample data, looks at the
submissions with polars and DuckDB SQL, previews the Klaviyo body of one submission, and
sends that submission to a local Klaviyo simulator to see the same body arrive.""",
    ),
    ("code", SETUP),
    ("markdown", "## Ingest\n\nBoth input shapes and the bad rows go in one call."),
    (
        "code",
        """\
report = tk.ingest(SAMPLE / "submissions.jsonl", SAMPLE / "bad_rows.jsonl")
tk.import_pages(SAMPLE / "pages.csv")
[(Path(f.source).name, f.stored, f.duplicates, f.quarantined) for f in report.files]""",
    ),
    (
        "code",
        """\
# Rows that could not be read, each with the reason and where it was.
tk.quarantine().select("source", "line", "field", "reason").with_columns(
    pl.col("source").str.split("/").list.last()
)""",
    ),
    ("markdown", "## Explore with polars"),
    (
        "code",
        """\
submissions = tk.submissions()
submissions.group_by("kind", "status").agg(
    pl.len().alias("submissions"), pl.col("amount").sum().alias("dollars")
).sort("submissions", descending=True)""",
    ),
    (
        "code",
        """\
# How phones arrive: the mapping has to turn all of these into E.164.
submissions.select(
    pl.col("phone")
    .str.replace_all(r"\\d", "9")
    .fill_null("(none)")
    .alias("phone shape")
).group_by("phone shape").len().sort("len", descending=True).head(8)""",
    ),
    (
        "markdown",
        """\
## Explore with DuckDB SQL

Each query opens the file briefly and closes it, so that a push or the TUI can use it
at the same time.""",
    ),
    (
        "code",
        """\
with tk.store.connect() as con:
    per_page = con.sql(
        \"\"\"SELECT p.name AS page, p.team, count(*) AS submissions,
                  sum(s.amount) AS dollars
           FROM submissions s LEFT JOIN action_pages p ON p.page_id = s.action_page_id
           GROUP BY ALL ORDER BY submissions DESC\"\"\"
    ).pl()
per_page""",
    ),
    (
        "markdown",
        "## The mapping\n\nAnedot's field mapping, mended where the real API needs it.",
    ),
    ("code", "tk.mapping_table()"),
    (
        "markdown",
        """\
## Preview one submission

Search by email or name, or step through a filtered set. Normalized fields are yellow,
moved ones blue, the amount green, dropped ones red.""",
    ),
    (
        "code",
        """\
from klaviyo_toolkit.notebook import donor_history, mapping_preview, relay_health

preview = mapping_preview(tk, search="annie.dot@example.com")
preview""",
    ),
    (
        "code",
        """\
# The widget's state is plain Python: the fields, what changed, the body to send.
preview.changes.filter(pl.col("change") != "absent").select(
    "anedot", "value", "klaviyo", "sent", "change"
)""",
    ),
    ("code", "preview.body"),
    (
        "code",
        """\
# Submissions Klaviyo would refuse, and why: they are recorded as rejected, never sent.
preview.show.value = "rejected"
preview.search.value = ""
preview.frame.select("submission_id", "email", "phone", "reason")""",
    ),
    (
        "markdown",
        """\
## Send Annie's submission to a local Klaviyo

The simulator checks bodies as Klaviyo does and records what it accepts.""",
    ),
    (
        "code",
        """\
clock = Clock(100)  # backoff pauses pass a hundred times faster
simulator = Simulator(clock=clock).start()
tk.add_integration(
    "main", api_key="pk_notebook000000000000000000example", base_url=simulator.base_url
)
annie_id = tk.submissions().filter(pl.col("email") == "annie.dot@example.com")[
    "submission_id"
][0]
pushed = tk.push(
    "main", submission_ids=[annie_id], options=PushOptions(clock=clock)
)
pushed.delivered, pushed.requests""",
    ),
    (
        "code",
        """\
import json

shown = json.loads(tk.preview(submission_ids=[annie_id])["body"][0])
arrived = simulator.events()[0]
assert shown["data"]["attributes"] == arrived, "the preview and the push differ"
arrived["profile"]["data"]["attributes"]""",
    ),
    ("markdown", "## What happened, per donor and over time"),
    ("code", 'donor_history(tk, "annie.dot@example.com")'),
    (
        "code",
        """\
health = relay_health(tk)
health.charts["attempts"]""",
    ),
    ("code", "simulator.stop()"),
]

MONITOR: list[tuple[str, str]] = [
    (
        "markdown",
        """\
# Push to Klaviyo and watch the relays

From an empty DuckDB file and the sample data: three integrations against a local
Klaviyo simulator, a filtered push from the push panel, a push whose key Klaviyo refuses
(the integration turns inactive after five failures in a row), and the relay-health
plots.""",
    ),
    ("code", SETUP),
    (
        "code",
        """\
from klaviyo_toolkit.demo import add_demo_integrations, demo_keys
from klaviyo_toolkit.notebook import donor_history, push_panel, relay_health

tk.ingest(SAMPLE / "submissions.jsonl")
tk.import_pages(SAMPLE / "pages.csv")

clock = Clock(100)  # backoff pauses pass a hundred times faster
simulator = Simulator(clock=clock, revoked_keys=[demo_keys()["revoked-key"]]).start()
add_demo_integrations(tk, simulator.base_url)
tk.status().select("name", "active", "in_scope", "unsent", "key")""",
    ),
    (
        "markdown",
        """\
## The push panel

Choose the filters; the count is a dry run. Push asks for confirmation before anything
is sent. Below, the same steps are taken in code, as a headless run of the notebook
needs.""",
    ),
    (
        "code",
        """\
panel = push_panel(tk, integration="field-team", options=PushOptions(clock=clock))
panel""",
    ),
    (
        "code",
        """\
# The field team's leads from one page: choose the page by its label.
panel.kind.value = "lead"
panel.pages.value = [
    page for name, page in panel.pages.options if "Volunteer" in name
]
panel.push_button.click()  # shows the confirmation; nothing is sent yet
print(panel.dry_run.sendable, "would be sent;", len(simulator.unique_ids()), "arrived")
panel.confirm.click()
panel.report.delivered, panel.report.rejected, len(simulator.unique_ids())""",
    ),
    (
        "code",
        """\
# One row per submission the push touched; failures and rejections first.
panel.results.group_by("outcome").len()""",
    ),
    ("markdown", "## The other integrations"),
    (
        "code",
        """\
foundation = tk.push("all-of-foundation", options=PushOptions(clock=clock))
revoked = tk.push("revoked-key", bulk=False, options=PushOptions(clock=clock))
print(foundation.endpoint, foundation.delivered, "delivered")
print(revoked.failed, "failed; inactive:", revoked.inactive)
print(revoked.inactive_reason)""",
    ),
    (
        "code",
        """\
tk.status().select(
    "name", "active", "consecutive_failures", "delivered", "failed", "unsent"
)""",
    ),
    (
        "markdown",
        "## Relay health\n\nThe widget redraws on Refresh; its charts are altair's.",
    ),
    (
        "code",
        """\
health = relay_health(tk)
health""",
    ),
    ("code", 'health.charts["streaks"]'),
    ("code", 'health.charts["backlog"]'),
    (
        "code",
        """\
# Charts export as PNG (through vl-convert) or as a self-contained HTML page.
health.charts["attempts"].save(WORK / "attempts.png")
health.charts["attempts"].save(WORK / "attempts.html")
sorted(p.name for p in WORK.iterdir() if p.suffix in (".png", ".html"))""",
    ),
    (
        "markdown",
        """\
## Fix the key and send the backlog

A new key, a reactivation and a push of what is unsent: the streak falls back to 0.""",
    ),
    (
        "code",
        """\
tk.update_integration("revoked-key", api_key="pk_notebook00000000000000000000newkey")
tk.reactivate("revoked-key")
fixed = tk.push("revoked-key", bulk=True, options=PushOptions(clock=clock))
health.refresh()
health.frames["streaks"].select("integration", "attempted_at", "outcome", "streak")""",
    ),
    (
        "markdown",
        "## One donor, seen from our side\n\nThe donor with the most submissions.",
    ),
    (
        "code",
        """\
with tk.store.connect() as con:
    donors = con.sql(
        \"\"\"SELECT email, count(*) AS submissions FROM submissions
           WHERE email IS NOT NULL
           GROUP BY email ORDER BY submissions DESC, email LIMIT 5\"\"\"
    ).pl()
history = donor_history(tk, donors["email"][0])
history.frame.filter(pl.col("outcome") != "out of scope").select(
    "created_at", "kind", "amount", "integration", "outcome"
)""",
    ),
    ("code", "simulator.stop()"),
]


def notebook(cells: list[tuple[str, str]]) -> NotebookNode:
    """A notebook of these cells, with the python3 kernel and no outputs."""
    made: NotebookNode = nbformat.v4.new_notebook()
    made.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    made.metadata["language_info"] = {"name": "python"}
    for kind, source in cells:
        if kind == "markdown":
            made.cells.append(nbformat.v4.new_markdown_cell(source))
        else:
            made.cells.append(nbformat.v4.new_code_cell(source))
    # Stable cell ids keep the files unchanged when nothing in the cells changed.
    for index, cell in enumerate(made.cells):
        cell["id"] = f"cell-{index:02d}"
    return made


NOTEBOOKS = {
    "01_explore_and_preview.ipynb": EXPLORE,
    "02_push_and_monitor.ipynb": MONITOR,
}


def main() -> None:
    for name, cells in NOTEBOOKS.items():
        nbformat.write(notebook(cells), HERE / name)


if __name__ == "__main__":
    main()
