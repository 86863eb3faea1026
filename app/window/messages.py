"""How the window tells the user things: the status bar, and non-blocking message boxes
for errors (never a traceback, never a crash)."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMainWindow

from app.widgets.dialogs import show_error, show_info

NO_CLIP = "Open a video first (File ▸ Open or drop a file)."  # Generate and the files need one


class Messages(QObject):
    error_reported = Signal(str)

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self._window = window
        self.last_error = ""

    def status(self, text: str, ms: int = 0) -> None:
        self._window.statusBar().showMessage(text, ms)

    def withdraw(self, text: str) -> None:
        """Take `text` off the status bar if it is still what it says."""
        bar = self._window.statusBar()
        if bar.currentMessage() == text:
            bar.clearMessage()

    def error(self, title: str, message: str) -> None:
        """Status bar + a (non-blocking) dialog."""
        self.last_error = message
        self.status(message, 15000)
        show_error(self._window, title, message)
        self.error_reported.emit(message)

    def info(self, title: str, message: str) -> None:
        show_info(self._window, title, message)
