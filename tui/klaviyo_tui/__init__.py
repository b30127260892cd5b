"""klaviyo-tui: the operators' terminal face of klaviyo-toolkit.

    klaviyo-tui [--db PATH] [--demo]

It watches one store (relays as they happen, failure streaks, inactive integrations)
and acts on it (reactivate, pause, push, edit scope, rotate a key) through the same
`klaviyo_toolkit.Toolkit` the command line and the notebook use.
"""

from __future__ import annotations

from .app import KlaviyoTui, main

__all__ = ["KlaviyoTui", "main"]
