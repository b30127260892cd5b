"""The simulator answers as Klaviyo does, through a real HTTP client on loopback."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from klaviyo_toolkit.clock import Clock
from klaviyo_toolkit.simulator import BULK_PATH, EVENTS_PATH, Faults, Simulator, serve

KEY = "pk_" + "k3y" * 8 + "0001"
OTHER_KEY = "pk_" + "k3y" * 8 + "0002"
REVOKED_KEY = "pk_" + "r3v" * 8 + "0003"
NO_SCOPE_KEY = "pk_" + "n0s" * 8 + "0004"
REVISION = "2026-10-15"
RETIRED_REVISION = "2022-10-17"
JSON_API = "application/vnd.api+json"
PROFILE = "/data/attributes/profile/data/attributes"

Body = dict[str, Any]


class ManualClock(Clock):
    """Clock time that moves only when the test says so."""

    def __init__(self) -> None:
        super().__init__()
        self.time = 0.0

    def now(self) -> float:
        return self.time

    def advance(self, seconds: float) -> None:
        self.time += seconds

    def rewind(self) -> None:
        self.time = 0.0


def event_body(unique_id: str = "sub-1", **profile: Any) -> Body:
    attributes = {"email": "donor@example.org", "phone_number": "+15045550123"}
    attributes.update(profile)
    return {
        "data": {
            "type": "event",
            "attributes": {
                "time": "2025-05-15T16:37:30+00:00",
                "value": 2500.0,
                "value_currency": "USD",
                "unique_id": unique_id,
                "metric": {
                    "data": {
                        "type": "metric",
                        "attributes": {"name": "Anedot: Submission Created"},
                    }
                },
                "profile": {"data": {"type": "profile", "attributes": attributes}},
                "properties": {"Source Code": None, "Anedot Account": "Friends"},
            },
        }
    }


def bulk_body(*profiles: list[str]) -> Body:
    """One bulk entry per profile, holding one event per unique id given for it."""
    entries = []
    for index, unique_ids in enumerate(profiles):
        single = event_body(email=f"donor{index}@example.org")["data"]["attributes"]
        profile = single.pop("profile")
        events = [
            {"type": "event", "attributes": {**single, "unique_id": unique_id}}
            for unique_id in unique_ids
        ]
        entries.append(
            {
                "type": "event-bulk-create",
                "attributes": {"profile": profile, "events": {"data": events}},
            }
        )
    return {
        "data": {
            "type": "event-bulk-create-job",
            "attributes": {"events-bulk-create": {"data": entries}},
        }
    }


def post(
    client: httpx.Client,
    body: Body | bytes,
    path: str = EVENTS_PATH,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post(path, content=content, headers=headers)


def only_error(response: httpx.Response) -> dict[str, Any]:
    errors: list[dict[str, Any]] = response.json()["errors"]
    assert len(errors) == 1
    return errors[0]


@pytest.fixture(scope="module")
def running() -> Iterator[Simulator]:
    with Simulator(
        seed=7,
        revoked_keys={REVOKED_KEY},
        keys_without_scope={NO_SCOPE_KEY},
        retired_revisions={RETIRED_REVISION},
    ) as simulator:
        yield simulator


@pytest.fixture
def sim(running: Simulator) -> Simulator:
    running.reset()
    running.set_faults(Faults())
    return running


def api_client(simulator: Simulator, key: str = KEY) -> httpx.Client:
    headers = {
        "Authorization": f"Klaviyo-API-Key {key}",
        "revision": REVISION,
        "Content-Type": JSON_API,
        "Accept": JSON_API,
    }
    return httpx.Client(base_url=simulator.base_url, headers=headers, timeout=5.0)


@pytest.fixture(scope="module")
def running_on_manual_clock() -> Iterator[Simulator]:
    with Simulator(clock=ManualClock()) as simulator:
        yield simulator


@pytest.fixture
def manual(running_on_manual_clock: Simulator) -> Simulator:
    """A simulator whose clock stands at zero until the test advances it."""
    running_on_manual_clock.reset()
    assert isinstance(running_on_manual_clock.clock, ManualClock)
    running_on_manual_clock.clock.rewind()
    return running_on_manual_clock


@pytest.fixture
def client(sim: Simulator) -> Iterator[httpx.Client]:
    with api_client(sim) as http_client:
        yield http_client


def test_a_valid_event_is_accepted_and_recorded(
    sim: Simulator, client: httpx.Client
) -> None:
    response = post(client, event_body("sub-1"))

    assert response.status_code == 202
    assert response.content == b""
    assert response.headers["RateLimit-Limit"] == "3500"
    assert response.headers["RateLimit-Remaining"] == "3499"
    assert response.headers["RateLimit-Reset"] == "60"
    assert sim.unique_ids() == ["sub-1"]
    assert sim.events()[0]["profile"]["data"]["attributes"]["email"] == (
        "donor@example.org"
    )


def test_content_type_parameters_are_allowed(
    sim: Simulator, client: httpx.Client
) -> None:
    headers = {"Content-Type": f"{JSON_API}; charset=utf-8"}

    assert post(client, event_body(), headers=headers).status_code == 202


def test_the_same_unique_id_twice_is_recorded_once(
    sim: Simulator, client: httpx.Client
) -> None:
    first = post(client, event_body("sub-1"))
    second = post(client, event_body("sub-1", first_name="Changed"))

    assert (first.status_code, second.status_code) == (202, 202)
    assert sim.unique_ids() == ["sub-1"]
    assert "first_name" not in sim.events()[0]["profile"]["data"]["attributes"]
    assert sim.stats().duplicate_events == 1


@pytest.mark.parametrize(
    "authorization",
    [
        "Klaviyo-API-Key pk_short",
        "Klaviyo-API-Key AbC123",
        f"Klaviyo-API-Key {REVOKED_KEY}",
        f"Bearer {KEY}",
        "",
    ],
    ids=["malformed", "public-6-char", "revoked", "wrong-scheme", "missing"],
)
def test_a_bad_key_gets_klaviyos_exact_401(
    sim: Simulator, client: httpx.Client, authorization: str
) -> None:
    response = post(client, event_body(), headers={"Authorization": authorization})

    error = only_error(response)
    assert response.status_code == 401
    assert uuid.UUID(error.pop("id")).version == 4
    assert error == {
        "status": 401,
        "code": "not_authenticated",
        "title": "Authentication credentials were not provided.",
        "detail": "Missing or invalid private key.",
        "source": {"pointer": "/data/"},
    }
    assert sim.events() == []


def test_a_key_without_the_events_scope_gets_403(sim: Simulator) -> None:
    with api_client(sim, NO_SCOPE_KEY) as no_scope:
        response = post(no_scope, event_body())

    assert response.status_code == 403
    assert only_error(response)["code"] == "permission_denied"


def test_a_wrong_content_type_gets_415(client: httpx.Client) -> None:
    response = post(client, event_body(), headers={"Content-Type": "application/json"})

    assert response.status_code == 415
    assert only_error(response)["code"] == "unsupported_media_type"


def test_a_missing_revision_gets_400(client: httpx.Client) -> None:
    client.headers.pop("revision")

    response = post(client, event_body())

    assert response.status_code == 400
    assert only_error(response)["source"]["parameter"] == "revision"


def test_a_retired_revision_gets_410(client: httpx.Client) -> None:
    response = post(client, event_body(), headers={"revision": RETIRED_REVISION})

    assert response.status_code == 410
    assert only_error(response)["code"] == "gone"


def test_an_unknown_path_gets_404_and_a_wrong_method_405(client: httpx.Client) -> None:
    missing = client.post("/api/profiles", content=b"{}")
    wrong_method = client.get(EVENTS_PATH)

    assert missing.status_code == 404
    assert only_error(missing)["code"] == "not_found"
    assert wrong_method.status_code == 405
    assert wrong_method.headers["Allow"] == "POST"


def test_a_bad_phone_gets_400_pointing_at_it(
    sim: Simulator, client: httpx.Client
) -> None:
    response = post(client, event_body(phone_number="(504) 555-0123"))

    error = only_error(response)
    assert response.status_code == 400
    assert error["code"] == "invalid"
    assert error["detail"] == "Invalid phone number format"
    assert error["source"]["pointer"] == f"{PROFILE}/phone_number"
    assert sim.events() == []


def test_zip_at_the_top_of_the_profile_gets_400(client: httpx.Client) -> None:
    response = post(client, event_body(zip="70112"))

    error = only_error(response)
    assert response.status_code == 400
    assert error["code"] == "invalid"
    assert error["detail"] == "'zip' is not a valid field for the resource 'profile'."
    assert error["source"]["pointer"] == f"{PROFILE}/zip"


def _set(path: list[str], value: Any) -> Callable[[Body], None]:
    def change(body: Body) -> None:
        node = body["data"]["attributes"]
        for name in path[:-1]:
            node = node[name]
        node[path[-1]] = value

    return change


def _drop_identifiers(body: Body) -> None:
    attributes = body["data"]["attributes"]["profile"]["data"]["attributes"]
    del attributes["email"], attributes["phone_number"]


def _drop_properties(body: Body) -> None:
    del body["data"]["attributes"]["properties"]


PROFILE_PATH = ["profile", "data", "attributes"]
LIVE_API_REFUSALS = {
    "location-key": (
        _set([*PROFILE_PATH, "location"], {"postal_code": "70112"}),
        f"{PROFILE}/location/postal_code",
    ),
    "no-identifier": (_drop_identifiers, PROFILE),
    "bad-email": (_set([*PROFILE_PATH, "email"], "not-an-email"), f"{PROFILE}/email"),
    "time-without-offset": (
        _set(["time"], "2025-05-15T16:37:30"),
        "/data/attributes/time",
    ),
    "time-before-1990": (
        _set(["time"], "1989-12-31T23:59:59+00:00"),
        "/data/attributes/time",
    ),
    "time-far-ahead": (
        _set(["time"], "2099-01-01T00:00:00+00:00"),
        "/data/attributes/time",
    ),
    "value-as-string": (_set(["value"], "25.00"), "/data/attributes/value"),
    "long-metric-name": (
        _set(["metric", "data", "attributes", "name"], "m" * 128),
        "/data/attributes/metric/data/attributes/name",
    ),
    "401-properties": (
        _set(["properties"], {f"p{n}": n for n in range(401)}),
        "/data/attributes/properties",
    ),
    "string-over-100kb": (
        _set(["properties", "Note"], "x" * (100 * 1024 + 1)),
        "/data/attributes/properties/Note",
    ),
    "no-properties": (_drop_properties, "/data/attributes"),
}


@pytest.mark.parametrize("case", LIVE_API_REFUSALS.keys())
def test_the_live_apis_stricter_checks_refuse_the_event(
    sim: Simulator, client: httpx.Client, case: str
) -> None:
    change, pointer = LIVE_API_REFUSALS[case]
    body = event_body()
    change(body)

    response = post(client, body)

    error = only_error(response)
    assert response.status_code == 400
    assert (error["code"], error["source"]["pointer"]) == ("invalid", pointer)
    assert sim.events() == []


def test_malformed_json_gets_400_with_a_detail(client: httpx.Client) -> None:
    response = post(client, b'{"data": ')

    error = only_error(response)
    assert response.status_code == 400
    assert error["detail"].startswith("Malformed JSON")


def test_a_body_over_5_mb_gets_413(client: httpx.Client) -> None:
    response = post(client, b"{" + b" " * (5 * 1024 * 1024) + b"}")

    assert response.status_code == 413


def test_a_valid_bulk_request_records_every_event(
    sim: Simulator, client: httpx.Client
) -> None:
    response = post(client, bulk_body(["a-1", "a-2"], ["b-1"]), BULK_PATH)

    assert response.status_code == 202
    assert response.headers["RateLimit-Limit"] == "150"
    assert sim.unique_ids() == ["a-1", "a-2", "b-1"]
    profiles = [e["profile"]["data"]["attributes"]["email"] for e in sim.events()]
    assert profiles == [
        "donor0@example.org",
        "donor0@example.org",
        "donor1@example.org",
    ]


def test_a_bulk_request_repeating_a_unique_id_records_nothing(
    sim: Simulator, client: httpx.Client
) -> None:
    response = post(client, bulk_body(["a-1", "a-2"], ["b-1", "a-1"]), BULK_PATH)

    error = only_error(response)
    assert response.status_code == 400
    assert error["source"]["pointer"] == (
        "/data/attributes/events-bulk-create/data/1/attributes/events/data/1"
        "/attributes/unique_id"
    )
    assert sim.events() == []


def test_a_bulk_request_over_1000_events_is_refused(
    sim: Simulator, client: httpx.Client
) -> None:
    ids = [f"sub-{n}" for n in range(1001)]

    response = post(client, bulk_body(ids[:600], ids[600:]), BULK_PATH)

    assert response.status_code == 400
    assert only_error(response)["code"] == "invalid"
    assert sim.events() == []


def test_one_invalid_event_fails_the_whole_bulk_request(
    sim: Simulator, client: httpx.Client
) -> None:
    body = bulk_body(["a-1"], ["b-1"])
    entry = body["data"]["attributes"]["events-bulk-create"]["data"][1]
    entry["attributes"]["profile"]["data"]["attributes"]["phone_number"] = "555-0123"

    response = post(client, body, BULK_PATH)

    assert response.status_code == 400
    assert only_error(response)["source"]["pointer"] == (
        "/data/attributes/events-bulk-create/data/1/attributes/profile/data"
        "/attributes/phone_number"
    )
    assert sim.events() == []


def test_the_burst_window_throttles_the_351st_request_in_a_clock_second() -> None:
    # At a thousandth of real speed, one clock second lasts over sixteen minutes.
    with Simulator(clock=Clock(speed=0.001)) as slow, api_client(slow) as client:
        answers = [post(client, event_body(f"sub-{n}")) for n in range(351)]

    assert {a.status_code for a in answers[:350]} == {202}
    throttled = answers[350]
    assert throttled.status_code == 429
    assert throttled.headers["Retry-After"] == "1"
    assert "RateLimit-Limit" not in throttled.headers
    assert only_error(throttled)["code"] == "throttled"
    assert len(slow.unique_ids()) == 350


def test_the_burst_window_frees_once_a_clock_second_has_passed(
    manual: Simulator,
) -> None:
    clock = manual.clock
    assert isinstance(clock, ManualClock)
    with api_client(manual) as client:
        for n in range(10):
            assert post(client, bulk_body([f"a-{n}"]), BULK_PATH).status_code == 202
        refused = post(client, bulk_body(["late"]), BULK_PATH)
        clock.advance(0.5)
        refused_again = post(client, bulk_body(["late"]), BULK_PATH)
        clock.advance(0.5)
        accepted = post(client, bulk_body(["late"]), BULK_PATH)

    assert (refused.status_code, refused.headers["Retry-After"]) == (429, "1")
    assert (refused_again.status_code, refused_again.headers["Retry-After"]) == (
        429,
        "1",
    )
    assert accepted.status_code == 202
    assert manual.stats().by_key["pk_...0001"] == {
        "requests": 13,
        "throttled": 2,
        "accepted_events": 11,
    }


def test_the_steady_window_gives_retry_after_in_clock_seconds(
    manual: Simulator,
) -> None:
    clock = manual.clock
    assert isinstance(clock, ManualClock)
    with api_client(manual) as client:
        for second in range(15):
            for n in range(10):
                answer = post(client, bulk_body([f"s{second}-{n}"]), BULK_PATH)
                assert answer.status_code == 202
            clock.advance(1.0)
        refused = post(client, bulk_body(["late"]), BULK_PATH)

    assert answer.headers["RateLimit-Remaining"] == "0"
    assert answer.headers["RateLimit-Reset"] == "46"
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "45"


def test_each_key_has_its_own_windows(manual: Simulator) -> None:
    with api_client(manual) as first, api_client(manual, OTHER_KEY) as second:
        for n in range(10):
            post(first, bulk_body([f"a-{n}"]), BULK_PATH)
        full = post(first, bulk_body(["a-late"]), BULK_PATH)
        other = post(second, bulk_body(["b-1"]), BULK_PATH)

    assert (full.status_code, other.status_code) == (429, 202)


def test_fail_next_answers_5xx_then_recovers(
    sim: Simulator, client: httpx.Client
) -> None:
    sim.fail_next(2, 503)

    statuses = [post(client, event_body()).status_code for _ in range(3)]

    assert statuses == [503, 503, 202]
    assert sim.requests_by_status() == {202: 1, 503: 2}


def test_fail_next_with_429_carries_retry_after(
    sim: Simulator, client: httpx.Client
) -> None:
    sim.fail_next(1, 429)

    response = post(client, event_body())

    assert (response.status_code, response.headers["Retry-After"]) == (429, "1")


def test_an_error_rate_of_one_answers_5xx_and_records_nothing(
    sim: Simulator, client: httpx.Client
) -> None:
    sim.set_faults(error_rate=1.0)

    answers = [post(client, event_body(f"sub-{n}")) for n in range(5)]

    assert {a.status_code for a in answers} <= {500, 502, 503}
    assert all(a.headers["Content-Type"] == JSON_API for a in answers)
    assert sim.events() == []


def test_html_errors_answer_an_html_page(sim: Simulator, client: httpx.Client) -> None:
    sim.set_faults(error_rate=1.0, error_statuses=(502,), html_errors=True)

    response = post(client, event_body())

    assert response.status_code == 502
    assert response.headers["Content-Type"].startswith("text/html")
    assert "<h1>502 Bad Gateway</h1>" in response.text


def test_a_dropped_connection_is_a_transport_error_for_the_client(
    sim: Simulator, client: httpx.Client
) -> None:
    sim.set_faults(drop_rate=1.0)

    with pytest.raises(httpx.RemoteProtocolError):
        post(client, event_body())

    assert sim.events() == []
    assert sim.stats().dropped == 1


def test_a_drop_after_accept_records_the_event_and_a_resend_is_harmless(
    sim: Simulator, client: httpx.Client
) -> None:
    sim.drop_next(after_accept=True)

    with pytest.raises(httpx.RemoteProtocolError):
        post(client, event_body("sub-1"))
    resent = post(client, event_body("sub-1"))

    assert resent.status_code == 202
    assert sim.unique_ids() == ["sub-1"]
    assert sim.stats().duplicate_events == 1


def test_latency_holds_the_answer_past_a_short_client_timeout() -> None:
    # The answer comes ten times later than the client waits. A simulator of its own,
    # because the held request still completes after the test has moved on.
    with (
        Simulator(faults=Faults(latency=0.2)) as slow,
        api_client(slow) as client,
        pytest.raises(httpx.ReadTimeout),
    ):
        client.post(EVENTS_PATH, content=json.dumps(event_body()), timeout=0.02)


def test_the_control_surface_drives_a_simulator_over_http(
    sim: Simulator, client: httpx.Client
) -> None:
    post(client, event_body("sub-1"))
    faults = client.post("/_sim/faults", json={"fail_next": {"status": 500}})
    failed = post(client, event_body("sub-2"))
    stats = client.get("/_sim/stats").json()
    events = client.get("/_sim/events", params={"full": "1"}).json()
    client.post("/_sim/reset")
    after_reset = client.get("/_sim/events").json()

    assert faults.status_code == 200
    assert failed.status_code == 500
    assert stats["by_status"] == {"202": 1, "500": 1}
    assert stats["by_key"]["pk_...0001"]["accepted_events"] == 1
    assert (events["count"], events["unique_ids"]) == (1, ["sub-1"])
    assert events["events"][0]["unique_id"] == "sub-1"
    assert after_reset == {"count": 0, "unique_ids": []}


def test_the_control_surface_refuses_an_unknown_fault(client: httpx.Client) -> None:
    response = client.post("/_sim/faults", json={"meteor_rate": 1.0})

    assert response.status_code == 400
    assert "meteor_rate" in only_error(response)["detail"]


def test_set_faults_refuses_a_rate_above_one(sim: Simulator) -> None:
    with pytest.raises(ValueError, match="fraction"):
        sim.set_faults(error_rate=1.5)


def test_a_stopped_simulator_has_no_base_url() -> None:
    simulator = Simulator().start()
    simulator.stop()

    with pytest.raises(RuntimeError, match="not running"):
        _ = simulator.base_url


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.com"])
def test_serve_refuses_a_non_loopback_host(host: str) -> None:
    with pytest.raises(ValueError, match="loopback"):
        serve(host=host, port=0)
