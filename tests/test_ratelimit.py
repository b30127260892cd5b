"""How far under Klaviyo's windows the client keeps, and the window it counts with."""

from __future__ import annotations

from klaviyo_toolkit.klaviyo import LIMIT_MARGIN, LIMIT_SLACK
from klaviyo_toolkit.ratelimit import BULK_LIMITS, EVENT_LIMITS, Limits, SlidingWindow


def test_the_client_keeps_a_margin_and_at_least_two_requests_under_each_window() -> (
    None
):
    assert EVENT_LIMITS.scaled(LIMIT_MARGIN, slack=LIMIT_SLACK) == Limits(332, 3325)
    assert BULK_LIMITS.scaled(LIMIT_MARGIN, slack=LIMIT_SLACK) == Limits(8, 142)


def test_scaling_never_goes_below_one_request() -> None:
    assert Limits(2, 3).scaled(0.5, slack=5) == Limits(1, 1)
    assert Limits(10, 150).scaled(1.0) == Limits(10, 150)


def test_a_sliding_window_says_when_the_next_request_fits() -> None:
    window = SlidingWindow(limit=2, window=1.0)
    window.record(10.0)
    window.record(10.4)

    assert window.wait_time(10.5) == 0.5
    assert window.remaining(10.5) == 0
    assert window.wait_time(11.0) == 0.0
    assert window.remaining(11.0) == 1
