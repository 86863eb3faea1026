"""A slider and a spin box showing one value, with a "committed" signal that never fires
while the slider is being dragged (expensive work starts on release, not on every step).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QSlider, QWidget

from app.widgets.number_boxes import ClampingDoubleSpinBox, ClampingSpinBox


class SliderSpin(QWidget):
    value_changed = Signal(float)  # every change, also while dragging (for live labels)
    committed = Signal()  # the user finished a change: spin edit, slider release or click

    def __init__(self, minimum: float, maximum: float, value: float, decimals: int = 0,
                 step: float = 1, suffix: str = "", tooltip: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._scale = 10**decimals
        self.slider = QSlider(Qt.Orientation.Horizontal)
        # The spin box is the Tab stop; a clicked slider keeps the focus, and then the
        # arrow keys move it (app.widgets.focus_keys), not the video.
        self.slider.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.spin = ClampingDoubleSpinBox() if decimals else ClampingSpinBox()
        if decimals:
            self.spin.setDecimals(decimals)
        self.spin.setSingleStep(step)
        self.spin.setKeyboardTracking(False)  # typing "256" is one change, not three
        self.spin.setSuffix(suffix)
        self.spin.setMinimumWidth(76)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.spin)
        self.set_range(minimum, maximum)
        self.set_value(value, quiet=True)
        if tooltip:
            self.set_tooltip(tooltip)
        self.slider.valueChanged.connect(self._from_slider)
        self.slider.sliderReleased.connect(self.committed)
        self.spin.valueChanged.connect(self._from_spin)

    def set_tooltip(self, text: str) -> None:
        for w in (self, self.slider, self.spin):
            w.setToolTip(text)

    def value(self) -> float:
        return self.spin.value()

    def int_value(self) -> int:
        return int(round(self.spin.value()))

    def set_value(self, value: float, quiet: bool = False) -> None:
        """Show `value`; quiet: without emitting anything (programmatic updates)."""
        if quiet:
            self.spin.blockSignals(True)
            self.slider.blockSignals(True)
        self.spin.setValue(value)
        self.slider.setValue(int(round(self.spin.value() * self._scale)))
        if quiet:
            self.spin.blockSignals(False)
            self.slider.blockSignals(False)

    def set_range(self, minimum: float, maximum: float) -> None:
        self.spin.blockSignals(True)
        self.slider.blockSignals(True)
        self.spin.setRange(minimum, maximum)
        self.slider.setRange(int(round(minimum * self._scale)), int(round(maximum * self._scale)))
        self.slider.setValue(int(round(self.spin.value() * self._scale)))
        self.spin.blockSignals(False)
        self.slider.blockSignals(False)

    def minimum(self) -> float:
        return self.spin.minimum()

    def maximum(self) -> float:
        return self.spin.maximum()

    def is_dragging(self) -> bool:
        return self.slider.isSliderDown()

    def _from_slider(self, raw: int) -> None:
        self.spin.setValue(raw / self._scale)  # the spin box emits the change

    def _from_spin(self, value: float) -> None:
        self.slider.blockSignals(True)
        self.slider.setValue(int(round(value * self._scale)))
        self.slider.blockSignals(False)
        self.value_changed.emit(value)
        if not self.slider.isSliderDown():
            self.committed.emit()
