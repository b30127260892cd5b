"""klaviyo-toolkit: relay Anedot submissions to Klaviyo, every attempt kept in DuckDB.

    from klaviyo_toolkit import Toolkit
    tk = Toolkit("relay.duckdb")
    tk.ingest("exports/*.jsonl")
    tk.add_integration("main", api_key_env="KLAVIYO_KEY")
    tk.push("main")

This package never imports a UI library; `klaviyo_toolkit.notebook` (ipywidgets) and the
`klaviyo_tui` package (Textual) are the faces built on it.
"""

from __future__ import annotations

from .clock import Clock
from .errors import (
    AlreadyExists,
    ConfigError,
    InputError,
    IntegrationInactive,
    InvalidKey,
    InvalidScope,
    NotFound,
    RelayError,
    StoreBusy,
    StoreError,
    ToolkitError,
)
from .ingest import FileReport, IngestReport
from .integrations import Integration
from .mapping import METRIC_NAME, map_submissions, mapping_table
from .relay import PushOptions, PushProgress, PushReport
from .scope import Selection
from .settings import ApiKey, IntegrationSettings
from .toolkit import Toolkit

__all__ = [
    "METRIC_NAME",
    "AlreadyExists",
    "ApiKey",
    "Clock",
    "ConfigError",
    "FileReport",
    "IngestReport",
    "InputError",
    "Integration",
    "IntegrationInactive",
    "IntegrationSettings",
    "InvalidKey",
    "InvalidScope",
    "NotFound",
    "PushOptions",
    "PushProgress",
    "PushReport",
    "RelayError",
    "Selection",
    "StoreBusy",
    "StoreError",
    "Toolkit",
    "ToolkitError",
    "map_submissions",
    "mapping_table",
]

__version__ = "0.1.0"
