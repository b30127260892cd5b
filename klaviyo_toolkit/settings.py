"""Integration settings: scope, key checks and masking, base URL rules.

Everything a person types about an integration passes through here first, so that a bad
page list, a public key or a plain-http URL is refused in one sentence before it reaches
the store.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit

from .errors import ConfigError, InvalidKey, InvalidScope

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_FAILURE_THRESHOLD",
    "ApiKey",
    "IntegrationSettings",
    "ValueUnit",
    "check_base_url",
    "parse_page_ids",
]

DEFAULT_BASE_URL = "https://a.klaviyo.com"
DEFAULT_FAILURE_THRESHOLD = 5
"""Anedot's rule: five failed relays in a row switch an integration off."""

ValueUnit = Literal["cents", "dollars"]

_PRIVATE_KEY = re.compile(r"pk_[A-Za-z0-9]{20,}")
_PUBLIC_KEY = re.compile(r"[A-Za-z0-9]{6}")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PAGE_ID = re.compile(r"[^\s,\x00-\x1f\x7f]{1,200}")


class ApiKey:
    """A Klaviyo private key that shows itself only masked.

    `str()`, `repr()` and f-strings all give `pk_...a1b2`; the full key comes out only
    through `reveal()`, which the HTTP client calls when it builds the Authorization
    header.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = check_private_key(value)

    def reveal(self) -> str:
        return self._value

    @property
    def masked(self) -> str:
        return mask_key(self._value)

    def __repr__(self) -> str:
        return f"ApiKey({self.masked!r})"

    def __str__(self) -> str:
        return self.masked

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ApiKey) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def mask_key(value: str) -> str:
    """`pk_...a1b2`: enough to tell two keys apart, never enough to use one."""
    if len(value) < 12:
        return "***"
    return f"{value[:3]}...{value[-4:]}"


def check_private_key(value: str) -> str:
    """Return the key stripped, or refuse it in one sentence that never repeats it."""
    key = value.strip()
    if _PRIVATE_KEY.fullmatch(key):
        return key
    if _PUBLIC_KEY.fullmatch(key):
        raise InvalidKey(
            "That is a Klaviyo public key (the 6-character site ID); public keys do "
            "not work for relays, so create a private API key (pk_...) with the "
            "events:write scope in Klaviyo and use that."
        )
    raise InvalidKey(
        "That is not a Klaviyo private API key: private keys start with 'pk_' followed "
        "by at least 20 letters and digits."
    )


def key_from_env(variable: str) -> ApiKey:
    """Read a private key from the environment variable an integration names."""
    if not _ENV_NAME.fullmatch(variable):
        raise ConfigError(f"{variable!r} is not a valid environment variable name.")
    value = os.environ.get(variable)
    if not value:
        raise InvalidKey(
            f"The environment variable {variable} is not set; export the Klaviyo "
            "private key in it before pushing."
        )
    return ApiKey(value)


def parse_page_ids(value: str | Iterable[str] | None, *, what: str) -> tuple[str, ...]:
    """Turn '12, 34' (or a list) into ('12', '34'), refusing empty or malformed items.

    Ids are matched literally later, so quotes or semicolons are kept as they are; only
    what cannot be an id at all (blank items, spaces inside one, control characters) is
    refused.
    """
    if value is None:
        return ()
    items = value.split(",") if isinstance(value, str) else list(value)
    if isinstance(value, str) and not value.strip():
        return ()

    ids: list[str] = []
    for position, raw in enumerate(items, start=1):
        item = str(raw).strip()
        if not item:
            raise InvalidScope(
                f"The {what} list has an empty item at position {position}; write ids "
                "separated by single commas, like '12,34'."
            )
        if not _PAGE_ID.fullmatch(item):
            raise InvalidScope(
                f"The {what} list item at position {position} ({item[:40]!r}) is not "
                "an Action Page id: ids have no spaces or control characters."
            )
        if item not in ids:
            ids.append(item)
    return tuple(ids)


def check_base_url(url: str) -> str:
    """https anywhere, or plain http only on a loopback address (the simulator)."""
    parts = urlsplit(url.strip())
    host = parts.hostname or ""
    if parts.scheme == "https" and host:
        return url.strip().rstrip("/")
    if parts.scheme == "http" and is_loopback(host):
        return url.strip().rstrip("/")
    raise ConfigError(
        f"The base URL {url!r} is refused: use https, or http only on a loopback "
        "address such as 127.0.0.1 for the local simulator."
    )


def is_loopback(host: str) -> bool:
    """localhost, 127.0.0.0/8 or ::1."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class IntegrationSettings:
    """What an integration relays, where, and with which key."""

    name: str
    """A short unique name, used on the command line and in the TUI."""
    api_key_env: str | None = None
    """The environment variable that holds the key.

    Preferred: the key stays out of the file.
    """
    api_key: ApiKey | None = None
    """A key kept in the DuckDB file itself.

    The file is then made readable by its owner only.
    """
    pages: tuple[str, ...] | None = None
    """Action Page ids to relay; None relays every page."""
    excluded_pages: tuple[str, ...] = ()
    """Action Page ids never relayed, even when `pages` is None."""
    team: str | None = None
    """Relay only pages tagged with this team."""
    account: str | None = None
    """Relay only this Anedot account (by name or uid); None relays every account."""
    base_url: str = DEFAULT_BASE_URL
    """Klaviyo's API root; http is allowed only on loopback, for the simulator."""
    value_unit: ValueUnit = "cents"
    """'cents' sends amount x 100 as Anedot does; 'dollars' sends the amount and USD."""
    failure_threshold: int = DEFAULT_FAILURE_THRESHOLD
    """Failed requests in a row that turn the integration inactive."""
    extra: dict[str, str] = field(default_factory=dict)
    """Free-form notes kept with the integration."""

    def __post_init__(self) -> None:
        if not self.name.strip() or len(self.name) > 100:
            raise ConfigError("An integration name must be 1 to 100 characters long.")
        if (self.api_key_env is None) == (self.api_key is None):
            raise InvalidKey(
                "Give the integration exactly one key source: an environment variable "
                "name (api_key_env) or a private key (api_key)."
            )
        if self.api_key_env is not None and not _ENV_NAME.fullmatch(self.api_key_env):
            raise ConfigError(
                f"{self.api_key_env!r} is not a valid environment variable name."
            )
        if self.value_unit not in ("cents", "dollars"):
            raise ConfigError("The value unit must be 'cents' or 'dollars'.")
        if not 1 <= self.failure_threshold <= 1000:
            raise ConfigError("The failure threshold must be between 1 and 1000.")
        check_base_url(self.base_url)

    def key(self) -> ApiKey:
        """The key to send with; read from the environment when a variable is named."""
        if self.api_key is not None:
            return self.api_key
        assert self.api_key_env is not None
        return key_from_env(self.api_key_env)

    @property
    def key_hint(self) -> str:
        """What a screen may show of the key: the masked key, or the variable's name."""
        if self.api_key is not None:
            return self.api_key.masked
        return f"${self.api_key_env}"
