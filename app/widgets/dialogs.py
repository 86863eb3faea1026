"""Non-blocking message boxes: the window stays responsive (and tests never hang)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget


def show_message(parent: QWidget | None, title: str, text: str,
                 icon: QMessageBox.Icon = QMessageBox.Icon.Warning) -> QMessageBox:
    """Open a window-modal message box without blocking; it deletes itself when closed."""
    box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, parent)
    box.setObjectName("messageBox")
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.setWindowModality(Qt.WindowModality.WindowModal)
    box.open()
    return box


def show_error(parent: QWidget | None, title: str, text: str) -> QMessageBox:
    return show_message(parent, title, text, QMessageBox.Icon.Warning)


def show_info(parent: QWidget | None, title: str, text: str) -> QMessageBox:
    return show_message(parent, title, text, QMessageBox.Icon.Information)
