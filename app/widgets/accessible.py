"""Names for screen readers: a form's label is read as the name of the field beside it.

A QFormLayout row whose field is a composite (a slider beside its number box, a line of
boxes) or a layout leaves the inner controls nameless; a screen reader then says "spin box"
and the tooltip. Each focusable control in such a field takes the row's label as its name
(a slider beside a number box: "… slider"), unless it has a name of its own."""

from __future__ import annotations

from collections.abc import Iterator

from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSlider,
    QAbstractSpinBox,
    QComboBox,
    QFormLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QWidget,
)

CONTROLS = (QAbstractSpinBox, QAbstractSlider, QComboBox, QLineEdit, QAbstractButton)


def name_form_fields(root: QWidget) -> None:
    """Name the controls of every form row under `root` after the row's label."""
    for form in root.findChildren(QFormLayout):
        for row in range(form.rowCount()):
            label = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
            field = form.itemAt(row, QFormLayout.ItemRole.FieldRole)
            if label is None or field is None or not isinstance(label.widget(), QLabel):
                continue
            text = label.widget().text().replace("&", "").rstrip(":").strip()
            controls = list(_controls(field.widget(), field.layout()))
            several = len(controls) > 1
            for control in controls:
                if control.accessibleName() or (isinstance(control, QAbstractButton) and control.text()):
                    continue  # a button says its own text (Brush, Eraser, Browse…)
                slider = several and isinstance(control, QAbstractSlider)
                control.setAccessibleName(f"{text} slider" if slider else text)


def _controls(widget: QWidget | None, layout: QLayout | None) -> Iterator[QWidget]:
    if widget is not None:
        if isinstance(widget, CONTROLS):
            yield widget
            return
        yield from (w for w in widget.findChildren(QWidget) if isinstance(w, CONTROLS))
        return
    if layout is None:
        return
    for i in range(layout.count()):
        item = layout.itemAt(i)
        yield from _controls(item.widget(), item.layout())
