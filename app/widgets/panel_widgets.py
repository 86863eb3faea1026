"""Small widgets and helpers shared by side-panel pages: tooltips, sliders, colour swatches."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import QColorDialog, QPushButton, QSlider, QWidget


def tip(widget: QWidget, text: str) -> QWidget:
    """`widget` with a tooltip (for building rows inline)."""
    widget.setToolTip(text)
    return widget


def slider(lo: int, hi: int, value: int, text: str) -> QSlider:
    """A horizontal slider, reached with Tab or a click; while it has the focus the arrow
    keys, Home and End move it, not the video (app.widgets.focus_keys)."""
    s = QSlider(Qt.Orientation.Horizontal)
    s.setRange(lo, hi)
    s.setValue(value)
    s.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    return tip(s, text)


class ColorButton(QPushButton):
    """A swatch that opens a colour dialog; `named` also shows the colour's hex name."""

    colorChanged = Signal(QColor)
    chosen = Signal(QColor)  # picked in the colour dialog (not set by the program)

    def __init__(self, color: QColor, title: str, alpha: bool = False,
                 named: bool = True) -> None:
        super().__init__()
        self._title, self._alpha, self._named = title, alpha, named
        self.setAccessibleName(title)  # a swatch with no text: its dialog's title names it
        self.clicked.connect(self._choose)
        self.set_color(color)

    def color(self) -> QColor:
        return QColor(self._color)

    def set_color(self, color: QColor) -> None:
        self._color = QColor(color)
        swatch = QPixmap(28, 14)
        swatch.fill(self._color)
        self.setIcon(QIcon(swatch))
        self.setText(self._color.name() if self._named else "")
        self.colorChanged.emit(self.color())

    def _choose(self) -> None:
        opts = QColorDialog.ColorDialogOption.ShowAlphaChannel if self._alpha else \
            QColorDialog.ColorDialogOption(0)
        color = QColorDialog.getColor(self._color, self, self._title, opts)
        if color.isValid():
            self.set_color(color)
            self.chosen.emit(self.color())
