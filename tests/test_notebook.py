"""The notebook face without a browser: set values, click buttons, read the state."""

from __future__ import annotations

import json
import runpy
import subprocess
import sys
from datetime import date
from pathlib import Path

import altair as alt
import nbformat
import polars as pl
import pytest
from nbclient import NotebookClient

from klaviyo_toolkit import Clock, PushOptions, Toolkit
from klaviyo_toolkit import notebook_plots as plots
from klaviyo_toolkit.notebook import (
    donor_frame,
    donor_history,
    field_changes,
    mapping_preview,
    push_panel,
    relay_health,
)
from klaviyo_toolkit.simulator import Simulator

from .conftest import GOOD_KEY, REPO, REVOKED_KEY, camel, write_jsonl

FIELD_PAGE = "page-field"
DIGITAL_PAGE = "page-digital"
ROSA = "rosa.guidry@example.org"
ADDRESS = {
    "city": "New Orleans",
    "region": "LA",
    "postalCode": "70112",
    "country": "US",
}
NOTEBOOKS = REPO / "notebooks"
NOTEBOOK_TIMEOUT = 120
"""Seconds a cell may take; the two notebooks take about half a minute together."""


def _rows() -> list[object]:
    """Six submissions: two pages of two teams, donations and leads, a refund, a
    phone to normalize, a phone to drop and one that Klaviyo would refuse."""
    return [
        camel(
            "gift-field-1",
            actionPageId=FIELD_PAGE,
            createdAt="2026-03-02T10:00:00Z",
            email=ROSA,
            firstName="Rosa",
            lastName="Guidry",
            phone="(504) 555-0123",
            address=ADDRESS,
            status="completed",
        ),
        camel(
            "gift-field-2",
            actionPageId=FIELD_PAGE,
            createdAt="2026-03-05T10:00:00Z",
            email=ROSA,
            phone="5045550123",
            status="refunded",
        ),
        camel(
            "lead-field-1",
            kind="lead",
            amount=None,
            actionPageId=FIELD_PAGE,
            createdAt="2026-03-06T10:00:00Z",
            phone="504.555.0123",
            email=None,
        ),
        camel(
            "gift-digital-1",
            actionPageId=DIGITAL_PAGE,
            createdAt="2026-03-10T10:00:00Z",
            phone="12345",
            status="completed",
        ),
        camel(
            "gift-digital-2",
            actionPageId=DIGITAL_PAGE,
            createdAt="2026-03-12T10:00:00Z",
            email=None,
            status="completed",
        ),
        camel(
            "lead-digital-1",
            kind="lead",
            amount=None,
            actionPageId=DIGITAL_PAGE,
            createdAt="2026-03-15T10:00:00Z",
        ),
    ]


@pytest.fixture
def store(tk: Toolkit, tmp_path: Path) -> Toolkit:
    tk.ingest(write_jsonl(tmp_path / "rows.jsonl", _rows()))
    tk.set_page_team(FIELD_PAGE, "Field")
    tk.set_page_team(DIGITAL_PAGE, "Digital")
    return tk


@pytest.fixture
def relayed(store: Toolkit, simulator: Simulator) -> Toolkit:
    store.add_integration("main", api_key=GOOD_KEY, base_url=simulator.base_url)
    return store


def _fast(clock: Clock) -> PushOptions:
    return PushOptions(clock=clock)


# Mapping preview ----------------------------------------------------------------------


def test_a_search_by_email_shows_that_donors_submissions(store: Toolkit) -> None:
    preview = mapping_preview(store, search="ROSA.guidry")

    assert preview.frame["submission_id"].to_list() == ["gift-field-1", "gift-field-2"]
    assert preview.submission is not None
    assert preview.submission["submission_id"] == "gift-field-1"
    assert preview.counter.value == "1 of 2"


def test_a_submission_id_selects_that_submission(store: Toolkit) -> None:
    preview = mapping_preview(store, submission_id="gift-digital-1")

    assert preview.submission is not None
    assert preview.submission["submission_id"] == "gift-digital-1"
    assert "gift-digital-1" in preview.header.value


def test_stepping_through_a_frame_visits_it_in_order_and_wraps(store: Toolkit) -> None:
    leads = store.submissions(kind="lead")
    preview = mapping_preview(store, frame=leads)
    seen = []

    for _ in range(3):
        assert preview.submission is not None
        seen.append(preview.submission["submission_id"])
        preview.next.click()

    assert seen == ["lead-field-1", "lead-digital-1", "lead-field-1"]
    preview.previous.click()
    assert preview.position == 0


def test_select_moves_to_a_submission_or_searches_for_it(store: Toolkit) -> None:
    preview = mapping_preview(store, search=ROSA)

    preview.select("gift-field-2")
    assert preview.position == 1

    preview.select("lead-digital-1")
    assert preview.search.value == "lead-digital-1"
    assert preview.frame["submission_id"].to_list() == ["lead-digital-1"]


def test_the_preview_highlights_a_phone_normalized_to_e164(store: Toolkit) -> None:
    preview = mapping_preview(store, submission_id="gift-field-1")

    phone = preview.changes.filter(pl.col("anedot") == "phone").row(0, named=True)
    assert (phone["value"], phone["sent"], phone["change"]) == (
        "(504) 555-0123",
        "+15045550123",
        "normalized",
    )
    assert "normalized to +15045550123" in phone["note"]
    assert "class='kt-normalized'" in preview.mapping.value


def test_the_preview_shows_address_moved_into_location_and_amount_x_100(
    store: Toolkit,
) -> None:
    preview = mapping_preview(store, submission_id="gift-field-1")
    changes = {row["klaviyo"]: row for row in preview.changes.iter_rows(named=True)}

    assert changes["profile.location.zip"]["change"] == "moved"
    assert changes["profile.location.zip"]["sent"] == "70112"
    assert (
        changes["attributes.value"]["value"],
        changes["attributes.value"]["sent"],
    ) == (
        "25.00",
        "2500.0",
    )
    assert changes["attributes.value"]["change"] == "scaled"
    assert preview.body is not None
    profile = preview.body["data"]["attributes"]["profile"]["data"]["attributes"]
    assert "zip" not in profile and profile["location"]["zip"] == "70112"


def test_the_preview_shows_a_dropped_phone_with_its_reason(store: Toolkit) -> None:
    preview = mapping_preview(store, submission_id="gift-digital-1")

    phone = preview.changes.filter(pl.col("anedot") == "phone").row(0, named=True)
    assert phone["change"] == "dropped" and phone["sent"] is None
    assert phone["note"] == "phone '12345' dropped: not a valid number"
    assert "class='kt-dropped'" in preview.mapping.value


def test_the_preview_says_why_klaviyo_would_refuse_an_event(store: Toolkit) -> None:
    preview = mapping_preview(store)

    preview.show.value = "rejected"

    assert preview.frame["submission_id"].to_list() == ["gift-digital-2"]
    assert preview.body is None
    assert "Klaviyo would refuse this event: no email and no phone" in (
        preview.header.value
    )
    assert set(preview.changes["change"]) <= {"constant", "absent", "refused"}


def test_a_search_that_matches_nothing_shows_an_empty_preview(store: Toolkit) -> None:
    preview = mapping_preview(store, search="nobody-at-all")

    assert preview.frame.is_empty() and preview.submission is None
    assert preview.counter.value == "0 of 0"


def test_the_preview_uses_the_integrations_value_unit(
    store: Toolkit, simulator: Simulator
) -> None:
    store.add_integration(
        "dollars", api_key=GOOD_KEY, base_url=simulator.base_url, value_unit="dollars"
    )

    preview = mapping_preview(
        store, integration="dollars", submission_id="gift-field-1"
    )

    assert preview.body is not None
    assert preview.body["data"]["attributes"]["value"] == 25.0
    value = preview.changes.filter(pl.col("anedot") == "amount").row(0, named=True)
    assert value["change"] == "kept" and "in dollars" in value["note"]


@pytest.mark.parametrize("bulk", [False, True], ids=["single", "bulk"])
def test_the_previewed_body_is_what_the_push_sends(
    relayed: Toolkit, simulator: Simulator, clock: Clock, bulk: bool
) -> None:
    preview = mapping_preview(relayed, integration="main")
    shown = {
        row["submission_id"]: json.loads(row["body"])["data"]["attributes"]
        for row in preview.frame.filter(pl.col("body").is_not_null()).iter_rows(
            named=True
        )
    }

    relayed.push("main", bulk=bulk, options=_fast(clock))

    received = {event["unique_id"]: event for event in simulator.events()}
    assert len(received) == len(shown) == 5
    for submission_id, attributes in shown.items():
        assert json.dumps(received[submission_id], sort_keys=True) == json.dumps(
            attributes, sort_keys=True
        )


def test_field_changes_mark_constants_and_absent_fields() -> None:
    submission = {"submission_id": "s-1", "email": "a@example.org", "utm_term": None}
    body = {
        "data": {
            "type": "event",
            "attributes": {
                "unique_id": "s-1",
                "properties": {"utm_term": None},
                "profile": {"data": {"attributes": {"email": "a@example.org"}}},
            },
        }
    }

    changes = field_changes(submission, {"body": json.dumps(body), "notes": []})

    by_path = {row["klaviyo"]: row["change"] for row in changes.iter_rows(named=True)}
    assert by_path["data.type"] == "constant"
    assert by_path["profile.email"] == "kept"
    assert by_path["properties.utm_term"] == "absent"


# Push panel ---------------------------------------------------------------------------


def test_the_count_is_a_dry_run_of_the_filters(
    relayed: Toolkit, simulator: Simulator, clock: Clock
) -> None:
    panel = push_panel(relayed, options=_fast(clock))
    assert panel.dry_run is not None
    assert (panel.dry_run.selected, panel.dry_run.sendable) == (6, 5)

    panel.kind.value = "lead"
    assert panel.dry_run.selected == 2
    panel.team.value = "Field"
    assert panel.dry_run.selected == 1
    assert panel.push_arguments()["pages"] == [FIELD_PAGE]
    assert simulator.stats().requests == 0


def test_the_push_button_alone_sends_nothing(
    relayed: Toolkit, simulator: Simulator, clock: Clock
) -> None:
    panel = push_panel(relayed, options=_fast(clock))

    panel.push_button.click()

    assert panel.confirmation.layout.display == "flex"
    assert "Send <b>5</b> events to <b>main</b>" in panel.prompt.value
    assert panel.report is None and simulator.stats().requests == 0


def test_confirm_without_push_sends_nothing(
    relayed: Toolkit, simulator: Simulator, clock: Clock
) -> None:
    panel = push_panel(relayed, options=_fast(clock))

    panel.confirm.click()

    assert panel.report is None and simulator.stats().requests == 0


def test_changing_a_filter_withdraws_the_confirmation(
    relayed: Toolkit, simulator: Simulator, clock: Clock
) -> None:
    panel = push_panel(relayed, options=_fast(clock))
    panel.push_button.click()

    panel.mode.value = "all"
    panel.confirm.click()

    assert panel.confirmation.layout.display == "none"
    assert panel.report is None and simulator.stats().requests == 0


def test_cancel_withdraws_the_confirmation(
    relayed: Toolkit, simulator: Simulator, clock: Clock
) -> None:
    panel = push_panel(relayed, options=_fast(clock))
    panel.push_button.click()

    panel.cancel.click()
    panel.confirm.click()

    assert panel.report is None and simulator.stats().requests == 0


def test_a_confirmed_push_sends_only_what_the_filters_select(
    relayed: Toolkit, simulator: Simulator, clock: Clock
) -> None:
    panel = push_panel(relayed, options=_fast(clock))
    panel.kind.value = "donation"
    panel.team.value = "Field"
    panel.payment_status.value = "completed"
    panel.since.value = date(2026, 3, 1)
    panel.until.value = date(2026, 3, 3)

    panel.push_button.click()
    panel.confirm.click()

    assert sorted(simulator.unique_ids()) == ["gift-field-1"]
    assert panel.report is not None and panel.report.delivered == 1


def test_a_date_range_restricts_what_is_sent(
    relayed: Toolkit, simulator: Simulator, clock: Clock
) -> None:
    panel = push_panel(relayed, options=_fast(clock))
    panel.since.value = date(2026, 3, 6)
    panel.until.value = date(2026, 3, 12)

    panel.push_button.click()
    panel.confirm.click()

    assert sorted(simulator.unique_ids()) == ["gift-digital-1", "lead-field-1"]
    assert panel.report is not None and panel.report.rejected == 1


def test_a_push_from_the_panel_marks_rows_delivered(
    relayed: Toolkit, simulator: Simulator, clock: Clock
) -> None:
    panel = push_panel(relayed, options=_fast(clock))

    panel.push_button.click()
    panel.confirm.click()

    status = relayed.status().row(0, named=True)
    assert (status["delivered"], status["rejected"]) == (5, 1)
    outcomes = dict(panel.results.select("submission_id", "outcome").iter_rows())
    assert outcomes["gift-digital-2"] == "rejected"
    assert sum(outcome == "delivered" for outcome in outcomes.values()) == 5
    assert panel.dry_run is not None and panel.dry_run.sendable == 0
    assert "5 delivered" in panel.result.value


def test_the_progress_bar_is_fed_by_the_relay(
    relayed: Toolkit, simulator: Simulator, clock: Clock
) -> None:
    panel = push_panel(relayed, options=_fast(clock))

    panel.push_button.click()
    panel.confirm.click()

    assert panel.progress is not None
    assert (panel.progress.done, panel.progress.total) == (6, 6)
    assert panel.bar.value == panel.bar.max == 6


def test_a_refused_key_shows_the_failures_and_the_streak(
    store: Toolkit, simulator: Simulator, clock: Clock
) -> None:
    store.add_integration("revoked", api_key=REVOKED_KEY, base_url=simulator.base_url)
    panel = push_panel(store, options=_fast(clock))

    panel.push_button.click()
    panel.confirm.click()

    assert panel.report is not None and panel.report.inactive
    assert panel.integration_state is not None
    assert not panel.integration_state.active
    assert panel.integration_state.consecutive_failures == 5
    failed = panel.results.filter(pl.col("outcome") == "failed")
    assert failed.height == 5 and set(failed["http_status"]) == {401}
    assert "is inactive since" in panel.state.value
    assert "turned inactive" in panel.result.value


def test_a_push_on_an_inactive_integration_shows_why_it_cannot_run(
    store: Toolkit, simulator: Simulator, clock: Clock
) -> None:
    store.add_integration("revoked", api_key=REVOKED_KEY, base_url=simulator.base_url)
    store.pause("revoked")
    panel = push_panel(store, options=_fast(clock))

    panel.push_button.click()
    panel.confirm.click()

    assert panel.report is None and "reactivate it" in panel.result.value
    assert simulator.stats().requests == 0


def test_the_integration_filter_chooses_where_the_push_goes(
    relayed: Toolkit, simulator: Simulator, clock: Clock
) -> None:
    relayed.add_integration(
        "digital", api_key=GOOD_KEY, base_url=simulator.base_url, team="Digital"
    )
    panel = push_panel(relayed, integration="main", options=_fast(clock))

    panel.integration.value = "digital"
    panel.push_button.click()
    panel.confirm.click()

    assert sorted(simulator.unique_ids()) == ["gift-digital-1", "lead-digital-1"]
    assert relayed.status().filter(pl.col("name") == "main")["delivered"][0] == 0


# Relay health -------------------------------------------------------------------------


def test_attempts_are_counted_by_outcome_and_integration(
    relayed: Toolkit, clock: Clock
) -> None:
    relayed.push("main", options=_fast(clock))

    frame = plots.attempts_over_time(relayed)

    totals = dict(frame.group_by("outcome").agg(pl.col("attempts").sum()).iter_rows())
    assert totals == {"delivered": 5, "rejected": 1}
    assert set(frame["integration"]) == {"main"}
    assert frame["unit"][0] == "second"


def test_failure_streaks_rise_to_the_threshold_and_reset_after_reactivation(
    store: Toolkit, simulator: Simulator, clock: Clock
) -> None:
    store.add_integration("main", api_key=REVOKED_KEY, base_url=simulator.base_url)
    store.push("main", bulk=False, options=_fast(clock))
    store.update_integration("main", api_key=GOOD_KEY)
    store.reactivate("main")
    store.push("main", bulk=False, options=_fast(clock))

    streaks = plots.failure_streaks(store)

    assert streaks["streak"].to_list() == [1, 2, 3, 4, 5, 0]
    assert set(streaks["threshold"]) == {5}


def test_the_unsent_backlog_is_counted_by_creation_day(
    relayed: Toolkit, clock: Clock
) -> None:
    relayed.push("main", kind="donation", options=_fast(clock))

    backlog = plots.unsent_backlog(relayed)

    # Leads are unsent, and so is the donation Klaviyo would refuse.
    assert backlog.select("day", "unsent").rows() == [
        (date(2026, 3, 6), 1),
        (date(2026, 3, 12), 1),
        (date(2026, 3, 15), 1),
    ]


def test_the_health_charts_are_altair_charts_that_export_png(
    relayed: Toolkit, clock: Clock, tmp_path: Path
) -> None:
    relayed.push("main", options=_fast(clock))

    charts = plots.health_charts(relayed)
    charts["attempts"].save(tmp_path / "attempts.png")

    assert isinstance(charts["attempts"], alt.Chart)
    assert isinstance(charts["streaks"], alt.LayerChart)
    assert charts["backlog"].to_dict()["encoding"]["y"]["field"] == "unsent"
    assert (tmp_path / "attempts.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_health_widget_keeps_status_frames_and_charts(
    relayed: Toolkit, clock: Clock
) -> None:
    health = relay_health(relayed)
    assert health.frames["attempts"].is_empty()

    relayed.push("main", options=_fast(clock))
    health.refresh_button.click()

    assert health.status["delivered"].to_list() == [5]
    assert health.frames["attempts"]["attempts"].sum() == 6
    assert set(health.charts) == {"attempts", "streaks", "backlog"}
    assert "main" in health.summary.value


# Donor history ------------------------------------------------------------------------


def test_a_donors_history_shows_each_submission_per_integration(
    relayed: Toolkit, simulator: Simulator, clock: Clock
) -> None:
    relayed.add_integration(
        "digital", api_key=GOOD_KEY, base_url=simulator.base_url, team="Digital"
    )
    relayed.push("main", submission_ids=["gift-field-1"], options=_fast(clock))

    history = donor_history(relayed, ROSA)

    outcomes = {
        (row["submission_id"], row["integration"]): row["outcome"]
        for row in history.frame.iter_rows(named=True)
    }
    assert outcomes == {
        ("gift-field-1", "main"): "delivered",
        ("gift-field-1", "digital"): "out of scope",
        ("gift-field-2", "main"): "unsent",
        ("gift-field-2", "digital"): "out of scope",
    }
    assert history.submissions["submission_id"].to_list() == [
        "gift-field-2",
        "gift-field-1",
    ]
    assert "2</b> submissions: 2 donations ($50.00 in all)" in history.summary.value


def test_a_phone_finds_the_donor_whatever_its_format(relayed: Toolkit) -> None:
    frame = donor_frame(relayed, "+1 504-555-0123")

    assert sorted(frame["submission_id"]) == [
        "gift-field-1",
        "gift-field-2",
        "lead-field-1",
    ]


def test_a_lookup_that_is_neither_email_nor_phone_shows_why(store: Toolkit) -> None:
    history = donor_history(store, "12")

    assert history.frame.is_empty()
    assert "neither an email address nor a phone number" in history.summary.value


# The faces and the package ------------------------------------------------------------


def test_each_face_displays_as_its_widget(relayed: Toolkit) -> None:
    faces = [
        mapping_preview(relayed),
        push_panel(relayed),
        relay_health(relayed),
        donor_history(relayed, ROSA),
    ]

    for face in faces:
        bundle = face._repr_mimebundle_()
        assert "application/vnd.jupyter.widget-view+json" in bundle


def test_only_the_notebook_module_imports_ipywidgets() -> None:
    code = (
        "import sys, klaviyo_toolkit, klaviyo_toolkit.notebook_plots, "
        "klaviyo_toolkit.notebook_data, klaviyo_toolkit.notebook_html; "
        "print('ipywidgets' in sys.modules)"
    )

    found = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )

    assert found.stdout.strip() == "False"


# The notebooks ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["01_explore_and_preview.ipynb", "02_push_and_monitor.ipynb"]
)
def test_the_notebook_runs_top_to_bottom(name: str) -> None:
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)  # type: ignore[no-untyped-call]
    client = NotebookClient(
        notebook,
        timeout=NOTEBOOK_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )

    client.execute()

    errors = [
        output
        for cell in notebook.cells
        for output in cell.get("outputs", [])
        if output.output_type == "error"
    ]
    assert errors == []


def test_the_notebooks_are_committed_as_generated_and_without_outputs() -> None:
    generator = runpy.run_path(str(NOTEBOOKS / "make_notebooks.py"))

    for name, cells in generator["NOTEBOOKS"].items():
        committed = nbformat.read(NOTEBOOKS / name, as_version=4)  # type: ignore[no-untyped-call]
        assert all(not cell.get("outputs") for cell in committed.cells)
        assert committed.cells == generator["notebook"](cells).cells, name
