"""Space for the focused control: the window's Space (play / pause) is a window-wide
shortcut, which Qt tries before a focused button, check box or list box sees the key. A
control reached with Tab must press, tick or open on Space, as everywhere else."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractButton, QComboBox, QWidget


class _SpaceToControl(QObject):
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API)
        if (event.type() == QEvent.Type.ShortcutOverride and event.key() == Qt.Key.Key_Space
                and event.modifiers() == Qt.KeyboardModifier.NoModifier):
            event.accept()  # the control takes the key; the shortcut does not fire
        return False


def give_space_to_controls(root: QWidget) -> None:
    """Every button, check box and list box under `root` keeps Space while it has the focus
    (call again after adding controls)."""
    keeper = root.findChild(_SpaceToControl, "spaceToControl")
    if keeper is None:
        keeper = _SpaceToControl(root)
        keeper.setObjectName("spaceToControl")
    for widget in root.findChildren(QWidget):
        if isinstance(widget, (QAbstractButton, QComboBox)):
            widget.removeEventFilter(keeper)
            widget.installEventFilter(keeper)
