"""The screens of klaviyo-tui: main, detail, and the dialogs."""

from __future__ import annotations

from .detail import DetailScreen
from .dialogs import ConfirmScreen, KeyForm, PushForm, ScopeForm
from .main import MainScreen

__all__ = [
    "ConfirmScreen",
    "DetailScreen",
    "KeyForm",
    "MainScreen",
    "PushForm",
    "ScopeForm",
]
