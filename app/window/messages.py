"""How the window tells the user things: the status bar, and non-blocking message boxes
for errors (never a traceback, never a crash)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QMainWindow, QWidget

from app.widgets.dialogs import show_error, show_info

NO_CLIP = "Open a video first (File ▸ Open or drop a file)."  # Generate and the files need one
STILL_READING = "The clip is still being read; try again once it shows."


class Messages(QObject):
    error_reported = Signal(str)

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self._window = window
        self.last_error = ""
        # Whether a clip (or a project) is being read: set by the window.
        self.reading: Callable[[], bool] = lambda: False

    def status(self, text: str, ms: int = 0) -> None:
        self._window.statusBar().showMessage(text, ms)

    def withdraw(self, text: str) -> None:
        """Take `text` off the status bar if it is still what it says."""
        bar = self._window.statusBar()
        if bar.currentMessage() == text:
            bar.clearMessage()

    def error(self, title: str, message: str, over: QWidget | None = None) -> None:
        """Status bar + a (non-blocking) dialog. `over`: a dialog that is shown again at
        once (the export dialog after a refused name), the box opening over it once it is
        up: on the main window it opened behind the dialog, which kept the window blocked."""
        self.last_error = message
        self.status(message, 15000)
        if isinstance(over, QWidget):
            QTimer.singleShot(0, over, lambda: show_error(over, title, message))
        else:
            show_error(self._window, title, message)
        self.error_reported.emit(message)

    def no_clip(self, title: str = "No clip", message: str = NO_CLIP) -> None:
        """Something needs a clip and none is open: while the first one is read the status
        bar says so (a box said "Open a video first" of the video being opened), else the
        box says `message`."""
        if self.reading():
            self.status(STILL_READING, 6000)
        else:
            self.error(title, message)

    def info(self, title: str, message: str) -> None:
        show_info(self._window, title, message)
