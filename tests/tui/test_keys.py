"""Keys: masked on every screen, rotated through a masked field, public ones refused."""

from __future__ import annotations

import pytest
from klaviyo_tui.app import KlaviyoTui
from klaviyo_tui.screens.detail import DetailScreen
from klaviyo_tui.screens.dialogs import ConfirmScreen, KeyForm

from klaviyo_toolkit import InvalidKey, Toolkit
from klaviyo_toolkit.settings import check_private_key

from ..conftest import GOOD_KEY, REVOKED_KEY
from .conftest import SIZE
from .helpers import AppPilot, screen_text, select_row, settle
from .stores import FLAKY_KEY

NEW_KEY = "pk_test00000000000000000000000rotated9"
PUBLIC_KEY = "AbC123"
EVERY_KEY = (GOOD_KEY, REVOKED_KEY, FLAKY_KEY, NEW_KEY)


def _public_key_message() -> str:
    with pytest.raises(InvalidKey) as refused:
        check_private_key(PUBLIC_KEY)
    return str(refused.value)


def _assert_no_key_on_screen(pilot: AppPilot) -> None:
    text = screen_text(pilot)
    svg = pilot.app.export_screenshot()
    for key in EVERY_KEY:
        assert key not in text
        assert key not in svg
        assert key[3:] not in text


async def test_a_public_key_is_refused_with_the_cores_message(app: KlaviyoTui) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await select_row(pilot, "flaky")

        await pilot.press("k")
        await pilot.press(*PUBLIC_KEY, "enter")

        form = app.screen
        assert isinstance(form, KeyForm)
        assert form.error == _public_key_message()
        assert "public key" in form.error


async def test_rotating_a_key_never_shows_it(app: KlaviyoTui, seeded: Toolkit) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        _assert_no_key_on_screen(pilot)
        await select_row(pilot, "flaky")

        await pilot.press("k")
        await pilot.press(*NEW_KEY)
        _assert_no_key_on_screen(pilot)
        await pilot.press("enter")
        assert isinstance(app.screen, ConfirmScreen)
        assert "pk_...ted9" in screen_text(pilot)
        _assert_no_key_on_screen(pilot)
        await pilot.press("y")
        await settle(pilot)
        _assert_no_key_on_screen(pilot)

        assert seeded.integration("flaky").settings.key_hint == "pk_...ted9"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)
        assert "pk_...ted9" in screen_text(pilot)
        _assert_no_key_on_screen(pilot)


async def test_no_screen_shows_a_stored_key(app: KlaviyoTui) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for name in ("field-team", "flaky", "revoked-key"):
            await select_row(pilot, name)
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, DetailScreen)
            assert "pk_..." in screen_text(pilot)
            _assert_no_key_on_screen(pilot)
            await pilot.press("escape")
            await settle(pilot)
