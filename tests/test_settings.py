from __future__ import annotations

import pytest

from klaviyo_toolkit import (
    ApiKey,
    ConfigError,
    IntegrationSettings,
    InvalidKey,
    InvalidScope,
)
from klaviyo_toolkit.settings import check_base_url, parse_page_ids

from .conftest import GOOD_KEY


def test_a_private_key_is_accepted_and_shown_masked() -> None:
    key = ApiKey(f"  {GOOD_KEY} ")

    assert key.reveal() == GOOD_KEY
    assert str(key) == repr(key)[8:-2] == "pk_...good"
    assert GOOD_KEY not in f"{key} {key!r} {[key]}"


def test_a_public_key_is_refused_with_the_reason() -> None:
    with pytest.raises(InvalidKey, match="public keys do not work for relays"):
        ApiKey("AbC123")


def test_a_malformed_key_is_refused_without_repeating_it() -> None:
    secret = "sk_live_0123456789abcdefghij"

    with pytest.raises(InvalidKey) as refused:
        ApiKey(secret)

    assert "pk_" in str(refused.value)
    assert secret not in str(refused.value)


def test_page_ids_are_parsed_from_a_comma_separated_string() -> None:
    ids = parse_page_ids(" 12, 34 ,12,a'b;c ", what="excluded page")
    assert ids == ("12", "34", "a'b;c")
    assert parse_page_ids("", what="page") == ()
    assert parse_page_ids(None, what="page") == ()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("12,,34", "empty item at position 2"),
        ("12, 3 4", "position 2"),
        ("1\t2", "position 1"),
    ],
)
def test_junk_in_a_page_list_is_refused_in_one_sentence(
    text: str, message: str
) -> None:
    with pytest.raises(InvalidScope, match=message):
        parse_page_ids(text, what="excluded page")


@pytest.mark.parametrize(
    "url",
    [
        "https://a.klaviyo.com",
        "http://127.0.0.1:8765",
        "http://localhost:1",
        "http://[::1]:9",
    ],
)
def test_https_or_loopback_http_base_urls_are_accepted(url: str) -> None:
    assert check_base_url(url) == url


@pytest.mark.parametrize(
    "url", ["http://a.klaviyo.com", "http://10.0.0.5:80", "ftp://x", "nonsense"]
)
def test_other_base_urls_are_refused(url: str) -> None:
    with pytest.raises(ConfigError, match="https, or http only on a loopback"):
        check_base_url(url)


def test_settings_need_exactly_one_key_source() -> None:
    with pytest.raises(InvalidKey, match="exactly one key source"):
        IntegrationSettings(name="x")
    with pytest.raises(InvalidKey, match="exactly one key source"):
        IntegrationSettings(name="x", api_key_env="K", api_key=ApiKey(GOOD_KEY))


def test_a_key_from_a_missing_environment_variable_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("NO_SUCH_KLAVIYO_KEY", raising=False)
    settings = IntegrationSettings(name="x", api_key_env="NO_SUCH_KLAVIYO_KEY")

    with pytest.raises(InvalidKey, match="NO_SUCH_KLAVIYO_KEY is not set"):
        settings.key()
    assert settings.key_hint == "$NO_SUCH_KLAVIYO_KEY"
