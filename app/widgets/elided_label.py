"""A one-line label that ends its text with … where it does not fit, rather than cutting it
or widening the window."""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import (
    QLabel,
    QSizeGrip,
    QSizePolicy,
    QStatusBar,
    QStyle,
    QStyleOption,
    QWidget,
)


class ElidedLabel(QLabel):
    """keep_after: where the text holds this separator, what follows it stays whole and the
    part before it is elided first ("a long name… — 256×144 · 13 frames")."""

    def __init__(self, text: str = "", parent=None,
                 elide: Qt.TextElideMode = Qt.TextElideMode.ElideRight,
                 keep_after: str | None = None) -> None:
        super().__init__(text, parent)
        self._elide = elide
        self._keep_after = keep_after
        # Its text never sets the window's minimum width: the label takes what it is given.
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

    def setText(self, text: str) -> None:  # noqa: N802
        super().setText(text)
        self.setToolTip(text)  # the whole text, where it is elided

    def paintEvent(self, event):  # noqa: N802
        painter = QPainter(self)
        painter.setPen(self.palette().color(self.foregroundRole()))
        box = self.contentsRect()  # inside the stylesheet's padding
        painter.drawText(box, int(self.alignment()), self.shown_text(box.width()))

    def shown_text(self, width: int) -> str:
        """The text as it fits in `width` pixels."""
        metrics, text = self.fontMetrics(), self.text()
        head, sep, tail = text.partition(self._keep_after) if self._keep_after else (text, "", "")
        if sep and metrics.horizontalAdvance(text) > width:
            # A few letters of the head at least; then the rest, cut at its end if it must be.
            least = min(metrics.horizontalAdvance(head), 6 * metrics.horizontalAdvance("n"))
            room = max(width - metrics.horizontalAdvance(sep + tail), least)
            shown = metrics.elidedText(head, self._elide, room) + sep
            rest = width - metrics.horizontalAdvance(shown)
            if rest > 0:
                return shown + metrics.elidedText(tail, Qt.TextElideMode.ElideRight, rest)
        return metrics.elidedText(text, self._elide, width)


class FittingLabel(QLabel):
    """A one-line label with shorter forms of its text ("12 / 300  ·  0.40 s", "12 / 300",
    "12"): it shows the longest form that fits, so a narrow window still reads the essential
    part. Which form shows depends on the widest text each form can have (`set_forms`), not
    on the current one, so the form does not flip as the numbers grow; its minimum width is
    the widest shortest form, its size hint the widest longest one."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._forms: list[str] = [""]
        self._widest: list[str] = [""]

    def set_forms(self, forms: list[str], widest: list[str] | None = None) -> None:
        """`forms`, longest first (text() is the first); `widest`: for each form the widest
        text it can take (by default the forms themselves)."""
        widest = list(widest or forms)
        if widest != self._widest:
            self._widest = widest
            self.updateGeometry()
        self._forms = list(forms)
        super().setText(forms[0])  # repaints

    def _width(self, text: str) -> int:
        margins = self.contentsMargins()
        return self.fontMetrics().horizontalAdvance(text) + margins.left() + margins.right()

    def sizeHint(self):  # noqa: N802
        hint = super().sizeHint()
        hint.setWidth(self._width(self._widest[0]))
        return hint

    def minimumSizeHint(self):  # noqa: N802
        hint = super().minimumSizeHint()
        hint.setWidth(self._width(self._widest[-1]))
        return hint

    def shown_text(self) -> str:
        """The form that fits the label's width now."""
        room = self.contentsRect().width()
        fm = self.fontMetrics()
        for form, widest in zip(self._forms, self._widest, strict=False):
            if fm.horizontalAdvance(widest) <= room:
                return form
        return fm.elidedText(self._forms[-1], Qt.TextElideMode.ElideRight, room)

    def paintEvent(self, event):  # noqa: N802
        painter = QPainter(self)
        painter.setPen(self.palette().color(self.foregroundRole()))
        painter.drawText(self.contentsRect(), int(self.alignment()), self.shown_text())


class ElidingStatusBar(QStatusBar):
    """A status bar whose message ends with … where it does not fit (in a narrow window a
    long "Result ready ... (notes)" was cut mid-word), with the whole message in its tooltip.
    currentMessage() is still the whole text."""

    MARGIN = 6  # QStatusBar's own, left and right of the message

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.messageChanged.connect(self.setToolTip)

    def message_room(self) -> int:
        """Pixels for the message: up to the first permanent widget shown (or the grip)."""
        right = self.width()
        for child in self.findChildren(QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly):
            if child.isVisible() and (child.x() > 0 or isinstance(child, QSizeGrip)):
                right = min(right, child.x())
        return max(0, right - 2 * self.MARGIN)

    def shown_message(self) -> str:
        """The message as drawn: whole, or cut with … to the room it has."""
        text = self.currentMessage()
        return self.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, self.message_room())

    def paintEvent(self, event):  # noqa: N802
        text = self.currentMessage()
        shown = self.shown_message()
        if shown == text:
            super().paintEvent(event)
            return
        painter = QPainter(self)
        option = QStyleOption()
        option.initFrom(self)
        self.style().drawPrimitive(QStyle.PrimitiveElement.PE_Widget, option, painter, self)
        painter.setPen(self.palette().color(self.foregroundRole()))
        box = QRect(self.MARGIN, 0, self.message_room(), self.height())
        painter.drawText(box, int(Qt.AlignmentFlag.AlignLeading | Qt.AlignmentFlag.AlignVCenter), shown)
