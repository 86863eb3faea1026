"""Waiting on the real editor from a script (README screenshots): run Qt's event loop until
a condition holds or for a while, so the window's workers deliver their results."""

from __future__ import annotations

from collections.abc import Callable


def wait_until(condition: Callable[[], bool], ms: int = 120_000) -> None:
    """Run the event loop until `condition()` is true (checked every 100 ms) or `ms` pass."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    timer = QTimer(interval=100)
    timer.timeout.connect(lambda: condition() and loop.quit())
    timer.start()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()
    timer.stop()


def pause(ms: int) -> None:
    """Run the event loop for `ms` milliseconds."""
    wait_until(lambda: False, ms)
