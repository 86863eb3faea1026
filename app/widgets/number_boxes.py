"""Spin boxes that take a number typed past their limits as the limit, and either decimal mark.

Qt's own refuse the keystroke that would pass the maximum and keep the digits before it:
"300" typed in a width box of at most 256 became 30, "60" in a frame count of at most 40
became 6, with no word. And a double box reads the other decimal mark as a group
separator: "1,5" seconds became 15 (150 frames) in an English locale.
"""

from __future__ import annotations

from PySide6.QtGui import QValidator
from PySide6.QtWidgets import QDoubleSpinBox, QSpinBox

_STATE = QValidator.State


class _Clamping:
    """validate/fixup shared by both boxes: a number over the maximum (or under the minimum
    when the minimum is above zero, so that "1" on the way to "12" still types) is
    Intermediate while typed, and becomes the limit when the edit ends."""

    def _bare(self, text: str) -> str:
        text = text.strip()
        for affix in (self.prefix().strip(), self.suffix().strip()):  # type: ignore[attr-defined]
            if affix and affix in text:
                text = text.replace(affix, "")
        return _normal_mark(self, text.strip())

    def _number(self, text: str) -> float | None:
        value, ok = self.locale().toDouble(self._bare(text))  # type: ignore[attr-defined]
        return value if ok else None

    def validate(self, text: str, pos: int):  # noqa: ANN201 (Qt's tuple)
        text = _normal_mark(self, text)
        state, fixed, at = super().validate(text, pos)  # type: ignore[misc]
        if state == _STATE.Invalid:
            value = self._number(text)
            if value is not None and value > self.maximum():  # type: ignore[attr-defined]
                return _STATE.Intermediate, text, pos
        return state, fixed, at

    def fixup(self, text: str) -> str:
        value = self._number(text)
        if value is not None and value > self.maximum():  # type: ignore[attr-defined]
            limit = self.maximum()  # type: ignore[attr-defined]
        elif value is not None and value < self.minimum():  # type: ignore[attr-defined]
            limit = self.minimum()  # type: ignore[attr-defined]
        else:
            return super().fixup(text)  # type: ignore[misc]
        return self.prefix() + self.textFromValue(limit) + self.suffix()  # type: ignore[attr-defined]


def _normal_mark(box: object, text: str) -> str:
    """The other decimal mark as the locale's (a double box only): "1,5" and "1.5" alike."""
    if not isinstance(box, QDoubleSpinBox):
        return text
    point = box.locale().decimalPoint()
    other = "," if point == "." else "."
    return text.replace(other, point)


class ClampingSpinBox(_Clamping, QSpinBox):
    pass


class ClampingDoubleSpinBox(_Clamping, QDoubleSpinBox):
    def valueFromText(self, text: str) -> float:  # noqa: N802 (Qt API)
        return super().valueFromText(_normal_mark(self, text))
