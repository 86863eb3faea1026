"""Non-blocking message boxes: the window stays responsive (and tests never hang)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QMessageBox,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)


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


def show_long_text(parent: QWidget | None, title: str, html: str) -> QDialog:
    """A non-blocking window for a long text (the shortcut list): it scrolls, and it is
    never taller than the screen it opens on (a message box grows past a small one)."""
    dialog = QDialog(parent)
    dialog.setObjectName("longText")
    dialog.setWindowTitle(title)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    text = QTextBrowser(dialog)
    text.setHtml(html)
    text.setOpenExternalLinks(True)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok, dialog)
    buttons.accepted.connect(dialog.accept)
    layout = QVBoxLayout(dialog)
    layout.addWidget(text)
    layout.addWidget(buttons)
    text.document().setTextWidth(520)
    wanted = int(text.document().size().height()) + 90  # the text, the button, the margins
    screen = (parent.screen() if parent is not None else dialog.screen()).availableGeometry()
    dialog.resize(min(580, screen.width() - 40), min(wanted, int(screen.height() * 0.85)))
    dialog.open()
    return dialog
