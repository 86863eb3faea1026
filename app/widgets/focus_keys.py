"""Keys for the focused control, and Tab in the order of the screen.

The window's playback keys (Space, ←/→, Shift+←/→, Home/End) are window-wide shortcuts, which
Qt tries before the focused control sees the key. A control reached with Tab (or clicked)
keeps the keys it uses, with or without Shift, as everywhere else: Space presses a button,
ticks a check box or opens a list box; a slider moves with the arrows (Shift+arrow: its page
step), Home/End and Page Up/Down; a list box goes to its previous / next entry with ←/→
(as with ↑/↓) and its first / last with Home/End; Enter presses a push button, as Space
does; ←/→ move along a row of choices (Brush /
Eraser / Pick, Remove / Hint) and choose; a letter picks a list box's entry that starts with
it. Spin boxes and text fields keep their keys already
(Qt lets a text field keep what it uses), but a number box gives the window the letters,
Space, [ ] and \\, which it has no use for (G generates after a seed is typed). The keys
play and step the video everywhere else."""

from __future__ import annotations

from collections.abc import Iterable
from itertools import pairwise

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSlider,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QDialog,
    QFormLayout,
    QGridLayout,
    QLayout,
    QPushButton,
    QToolButton,
    QWidget,
)

Key = Qt.Key
SLIDER_KEYS = {Key.Key_Left, Key.Key_Right, Key.Key_Up, Key.Key_Down, Key.Key_Home,
               Key.Key_End, Key.Key_PageUp, Key.Key_PageDown}
CHOICE_KEYS = {Key.Key_Left, Key.Key_Right}
LIST_BOX_KEYS = {Key.Key_Home, Key.Key_End, *CHOICE_KEYS}  # (Up / Down are no window keys)
ARROWS = {Key.Key_Up, Key.Key_Down, *CHOICE_KEYS}
ENTER = {Key.Key_Return, Key.Key_Enter}
Mod = Qt.KeyboardModifier
SHIFT_OR_KEYPAD = Mod.ShiftModifier | Mod.KeypadModifier  # no other modifier: a kept key


def keeps_key(widget: QWidget, key: int, modifiers: Qt.KeyboardModifier) -> bool:
    """Whether focused `widget` uses `key` itself (with or without Shift, which makes the
    video's step bigger; arrows may come from the keypad), rather than the window's shortcut."""
    if modifiers & ~SHIFT_OR_KEYPAD:
        return False
    if key == Key.Key_Space:
        return isinstance(widget, (QAbstractButton, QComboBox))
    if isinstance(widget, QAbstractSlider):
        return key in SLIDER_KEYS
    if isinstance(widget, QComboBox):
        # A letter picks the entry it starts (Qt's keyboard search): the window's one-letter
        # keys (B browses, G generates, I sets the in point) took it from a focused list box.
        return key in LIST_BOX_KEYS or (not widget.isEditable() and Key.Key_A <= key <= Key.Key_Z)
    if isinstance(widget, QAbstractButton) and (widget.group() is not None
                                                or widget.autoExclusive()):
        return key in CHOICE_KEYS  # Qt moves to the next of the group and ticks it
    return False


# Keys a number box has no use for that are the window's (G, B, I/O, J/K/L, F, E, Space,
# [ ] and \): its text field took every printable key, so after typing a seed G did nothing.
NUMBER_BOX_GIVES = {Key.Key_Space, Key.Key_Backslash, Key.Key_BracketLeft,
                    Key.Key_BracketRight, *range(Key.Key_A, Key.Key_Z + 1)}


def gives_key(widget: QWidget, key: int, modifiers: Qt.KeyboardModifier) -> bool:
    """Whether focused `widget` (a number box, or its text field) leaves `key` to the
    window's shortcut, though Qt would give it the key."""
    box = widget if isinstance(widget, QAbstractSpinBox) else widget.parent()
    return (isinstance(box, QAbstractSpinBox) and not modifiers & ~Mod.ShiftModifier
            and key in NUMBER_BOX_GIVES)


class _KeysToControl(QObject):
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API)
        if (event.type() == QEvent.Type.ShortcutOverride and isinstance(watched, QWidget)
                and gives_key(watched, event.key(), event.modifiers())):
            return True  # not accepted: the window's shortcut fires
        if (event.type() == QEvent.Type.ShortcutOverride and isinstance(watched, QWidget)
                and keeps_key(watched, event.key(), event.modifiers())):
            event.accept()  # the control takes the key; the shortcut does not fire
        elif (event.type() == QEvent.Type.KeyPress and event.key() in ARROWS
              and not event.modifiers() & ~SHIFT_OR_KEYPAD):
            return _arrow(watched, event.key(), event.modifiers())
        elif (event.type() == QEvent.Type.KeyPress and event.key() in ENTER
              and not event.modifiers() & ~Mod.KeypadModifier
              and isinstance(watched, (QPushButton, QToolButton)) and watched.isEnabled()
              and not isinstance(watched.window(), QDialog)):
            # Enter presses a focused push button, as Space does: Qt leaves Enter to a
            # dialog's default button, and outside a dialog it did nothing (Generate, Random).
            watched.animateClick()
            return True
        return False


def _arrow(widget: QObject, key: int, modifiers: Qt.KeyboardModifier) -> bool:
    """The arrows kept (keeps_key) where Qt would ignore them or Shift; True: done here."""
    if isinstance(widget, QComboBox) and key in CHOICE_KEYS and not widget.isEditable():
        # Qt ignores ←/→ on a list box: its previous / next entry, as ↑/↓ (and as ←/→ in a
        # row of choices or a drop-down list on Windows), rather than a key that does nothing.
        up_down = Key.Key_Up if key == Key.Key_Left else Key.Key_Down
        QApplication.sendEvent(widget, QKeyEvent(QEvent.Type.KeyPress, up_down, Mod.NoModifier))
        return True
    if isinstance(widget, QAbstractSlider) and modifiers & Mod.ShiftModifier:
        # Qt steps as without Shift; Shift is the bigger step here, as for the video (a
        # second, not a frame): the page step, in the direction the arrow moves the slider.
        add = ((key in (Key.Key_Right, Key.Key_Up))
               ^ (key in CHOICE_KEYS and widget.isRightToLeft()) ^ widget.invertedControls())
        widget.triggerAction(QAbstractSlider.SliderAction.SliderPageStepAdd if add
                             else QAbstractSlider.SliderAction.SliderPageStepSub)
        return True
    return False


def give_keys_to_controls(root: QWidget) -> None:
    """Every button, check box, list box and slider under `root` keeps the keys it uses
    while it has the focus, and a number box gives up those it has no use for (call again
    after adding controls)."""
    keeper = root.findChild(_KeysToControl, "keysToControl")
    if keeper is None:
        keeper = _KeysToControl(root)
        keeper.setObjectName("keysToControl")
    for widget in root.findChildren(QWidget):
        if isinstance(widget, (QAbstractButton, QComboBox, QAbstractSlider, QAbstractSpinBox)):
            widget.removeEventFilter(keeper)
            widget.installEventFilter(keeper)


def tab_in_screen_order(*roots: QWidget) -> list[QWidget]:
    """Tab through the controls under `roots` as they stand on the screen: each root's
    layout top to bottom, a row left to right (a form's rows in their order, a grid's by
    row and column), whatever order the controls were made or added in. Hidden and
    disabled controls stay in the chain (Tab passes over them), so it holds for every
    page. Returns the chain."""
    chain = [w for root in roots for w in _in_layout(root.layout())
             if w.focusPolicy() & Qt.FocusPolicy.TabFocus and w.focusProxy() is None]
    for first, second in pairwise(chain):
        QWidget.setTabOrder(first, second)
    return chain


def _in_layout(layout: QLayout | None) -> Iterable[QWidget]:
    if layout is None:
        return
    for item in _items(layout):
        widget, inner = item.widget(), item.layout()
        if widget is not None:
            yield widget
            yield from _in_layout(widget.layout())
        elif inner is not None:
            yield from _in_layout(inner)


def _items(layout: QLayout) -> list:
    """A layout's items in screen order (a form or grid keeps them in the order added)."""
    if isinstance(layout, QFormLayout):
        roles = (QFormLayout.ItemRole.LabelRole, QFormLayout.ItemRole.FieldRole,
                 QFormLayout.ItemRole.SpanningRole)
        items = (layout.itemAt(row, role) for row in range(layout.rowCount()) for role in roles)
        return [item for item in items if item is not None]
    if isinstance(layout, QGridLayout):
        at = [(layout.getItemPosition(i)[:2], i) for i in range(layout.count())]
        return [layout.itemAt(i) for _, i in sorted(at)]
    return [layout.itemAt(i) for i in range(layout.count())]
