"""Plain-Python events for the Qt-free models (the napari model/view split): a model emits,
views and controllers subscribe with `connect` and write back through the model's methods.

Callbacks run at once, on the emitting thread (the models are used on the GUI thread
only). A failing callback is logged and the others still run, as with a Qt slot.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)


class Event:
    """A list of callbacks called with the emitted values."""

    def __init__(self) -> None:
        self._callbacks: list[Callable[..., Any]] = []

    def connect(self, callback: Callable[..., Any]) -> Callable[..., Any]:
        self._callbacks.append(callback)
        return callback

    def disconnect(self, callback: Callable[..., Any]) -> None:
        """Remove one connection of `callback` (no error when it is not connected)."""
        if callback in self._callbacks:
            self._callbacks.remove(callback)

    def emit(self, *args: Any) -> None:
        for callback in list(self._callbacks):  # a callback may (dis)connect others
            try:
                callback(*args)
            except Exception:  # a broken view must not stop the model or the other views
                log.exception("event callback %r failed", callback)

    def __len__(self) -> int:
        return len(self._callbacks)
