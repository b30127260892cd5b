"""The one exception tree of klaviyo-toolkit.

Every error the toolkit raises on purpose derives from `ToolkitError`, and its message
is one
sentence a person can act on. Third-party errors (DuckDB, httpx, the filesystem) are
translated where they enter, so none reaches a user raw::

    ToolkitError
    ├── ConfigError            a setting, filter or argument that cannot be used
    │   ├── InvalidKey         not a Klaviyo private key (a public key, junk, a missing
    env var)
    │   └── InvalidScope       page ids, exclusions or a team that do not parse
    ├── NotFound               an integration (or other named thing) that does not exist
    ├── AlreadyExists          a name that is taken
    ├── InputError             an input file that cannot be read at all
    ├── StoreError             the DuckDB file cannot be opened or used
    │   └── StoreBusy          another process holds the file longer than we wait
    └── RelayError             a push that cannot start or go on
        └── IntegrationInactive  the integration is inactive; reactivate it first
"""

from __future__ import annotations

__all__ = [
    "AlreadyExists",
    "ConfigError",
    "InputError",
    "IntegrationInactive",
    "InvalidKey",
    "InvalidScope",
    "NotFound",
    "RelayError",
    "StoreBusy",
    "StoreError",
    "ToolkitError",
]


class ToolkitError(Exception):
    """Base of every error the toolkit raises on purpose."""


class ConfigError(ToolkitError):
    """A setting, filter or argument that cannot be used."""


class InvalidKey(ConfigError):
    """A key that is not a usable Klaviyo private key."""


class InvalidScope(ConfigError):
    """Page ids, exclusions or a team that do not parse."""


class NotFound(ToolkitError):
    """A named thing that does not exist."""


class AlreadyExists(ToolkitError):
    """A name that is already taken."""


class InputError(ToolkitError):
    """An input file that cannot be read at all."""


class StoreError(ToolkitError):
    """The DuckDB file cannot be opened or used."""


class StoreBusy(StoreError):
    """Another process held the database file for longer than we are willing to wait."""


class RelayError(ToolkitError):
    """A push that cannot start or go on."""


class IntegrationInactive(RelayError):
    """The integration is inactive and sends nothing until it is reactivated."""
