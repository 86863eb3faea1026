"""The transport bar between viewer and timeline: play controls, position readout and
shuttle speed; and the Source / Result / Side-by-side switch with Fit (`view_controls`,
which the window puts beside the clip's header: one row of all of them was 670 px, the
window's minimum width). The readout drops the time, then the frame count, where the row
is narrow (the whole of it in its tooltip), and the play button is as wide as its pause
glyph, so neither widens the window as a clip plays."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QToolButton,
    QWidget,
)

from app.widgets.elided_label import FittingLabel
from app.widgets.playback import Playback

MODE_BUTTONS = (
    ("source", "Source", "Show the source clip (Tab toggles source / result)."),
    ("result", "Result", "Show the result (Tab toggles source / result)."),
    ("side", "Side by side", "Source and result side by side, playing in sync (\\)."),
)


PLAY, PAUSE = "▶", "❚❚"  # U+23F8 (pause) is in few fonts: bars every font has


def timecode(frame: int, fps: float) -> str:
    """Seconds with hundredths: "1.24 s"."""
    return f"{frame / fps:.2f} s" if fps > 0 else "–"


class PlayButton(QToolButton):
    """The play / pause button: as wide as the wider of its two glyphs whichever it shows,
    so the row does not jump (nor the window widen) when playing starts."""

    def _widened(self, hint: QSize) -> QSize:
        fm = self.fontMetrics()
        extra = max(fm.horizontalAdvance(t) for t in (PLAY, PAUSE)) - fm.horizontalAdvance(self.text())
        return QSize(hint.width() + max(0, extra), hint.height())

    def sizeHint(self) -> QSize:  # noqa: N802 (QToolButton's minimumSizeHint is this too)
        return self._widened(super().sizeHint())


class ClipHeader(QWidget):
    """The clip's name and size (`info`) with the view switch at its right; where that
    leaves the name less than `MIN_INFO` px (a narrow window), the name takes a line of its
    own above the switch rather than being elided to a few letters."""

    MIN_INFO = 200

    def __init__(self, info: QWidget, controls: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.info, self.controls = info, controls
        self._grid = QGridLayout(self)
        # A little room on the right: flush with the splitter, Fit's right border vanished
        # into the handle in a narrow window.
        self._grid.setContentsMargins(0, 0, 3, 0)
        self._grid.setHorizontalSpacing(6)
        self._grid.setVerticalSpacing(2)
        self._grid.setColumnStretch(0, 1)
        self._two_rows: bool | None = None
        self._arrange(False)

    def two_rows(self) -> bool:
        return bool(self._two_rows)

    def _arrange(self, two_rows: bool) -> None:
        if two_rows == self._two_rows:
            return
        self._two_rows = two_rows
        self._grid.removeWidget(self.info)
        self._grid.removeWidget(self.controls)
        if two_rows:
            self._grid.addWidget(self.info, 0, 0, 1, 2)
            self._grid.addWidget(self.controls, 1, 1)
        else:
            self._grid.addWidget(self.info, 0, 0)
            self._grid.addWidget(self.controls, 0, 1)

    def resizeEvent(self, event):  # noqa: N802
        super().resizeEvent(event)
        room = event.size().width() - self.controls.sizeHint().width() - 6
        self._arrange(room < self.MIN_INFO)


class TransportBar(QWidget):
    mode_chosen = Signal(str)
    fit_requested = Signal()

    def __init__(self, playback: Playback, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("transport")
        self._playback = playback
        self._sized_for: tuple[int, float] | None = None
        self.buttons: dict[str, QToolButton] = {}
        spec = (  # key, glyph, what a screen reader says, tooltip, slot
            ("home", "|◀", "First frame", "Go to the first frame (Home).", playback.home),
            ("back", "◀◀", "Play backward", "Play backward; press again to go faster (J).",
             playback.reverse),
            ("play", PLAY, "Play", "Play / pause (Space). K stops.", playback.toggle_play),
            ("forward", "▶▶", "Play forward", "Play forward; press again to go faster (L).",
             playback.forward),
            ("end", "▶|", "Last frame", "Go to the last frame (End).", playback.end),
        )
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.setSpacing(3)  # with the stylesheet's narrow buttons: fits a 1024-pixel screen
        for key, text, name, tip, slot in spec:
            b = PlayButton() if key == "play" else QToolButton()
            b.setText(text)
            b.setAccessibleName(name)
            b.setToolTip(tip)
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            b.clicked.connect(slot)
            layout.addWidget(b)
            self.buttons[key] = b
        self.position = FittingLabel()
        self.position.setObjectName("position")
        self.speed = QLabel()
        self.speed.setObjectName("hint")
        # Room for the widest shuttle speed from the start: a label growing as playback
        # starts widened the window past the screen (and it stayed so).
        self.speed.setFixedWidth(self.speed.fontMetrics().horizontalAdvance("◀ 64×") + 4)
        layout.addSpacing(8)
        layout.addWidget(self.position)
        layout.addSpacing(8)
        layout.addWidget(self.speed)
        layout.addStretch(1)
        self.view_controls = QWidget()
        self.view_controls.setObjectName("viewControls")
        views = QHBoxLayout(self.view_controls)
        views.setContentsMargins(0, 0, 0, 0)
        views.setSpacing(3)
        self.view_controls.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.modes = QButtonGroup(self)
        self.modes.setExclusive(True)
        for key, text, tip in MODE_BUTTONS:
            b = QToolButton()
            b.setText(text)
            b.setCheckable(True)
            b.setToolTip(tip)
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            b.setObjectName("modeButton")
            b.clicked.connect(lambda _=False, k=key: self.mode_chosen.emit(k))
            self.modes.addButton(b)
            views.addWidget(b)
            self.buttons[key] = b
        fit = QToolButton()
        fit.setText("Fit")
        fit.setToolTip("Fit the picture to the window (F). Wheel zooms, drag pans.")
        fit.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        fit.clicked.connect(self.fit_requested)
        views.addSpacing(8)
        views.addWidget(fit)
        self.buttons["fit"] = fit
        self.buttons["source"].setChecked(True)
        playback.frame_changed.connect(self.refresh)
        playback.state_changed.connect(self.refresh)
        self.refresh()

    def set_mode(self, mode: str) -> None:
        self.buttons[mode].setChecked(True)

    def refresh(self) -> None:
        p = self._playback
        frame, time = f"{p.frame + 1} / {p.length}", timecode(p.frame, p.fps)
        if (p.length, p.fps) != self._sized_for:  # room for its widest text on this clip
            self._sized_for = (p.length, p.fps)
            last = timecode(max(p.length - 1, 0), p.fps)
            self._widest = [f"{p.length} / {p.length}  ·  {last}", f"{p.length} / {p.length}",
                            f"{p.length}"]
        # The whole readout, also where the row is narrow and shows only the frame.
        self.position.set_forms([f"{frame}  ·  {time}", frame, f"{p.frame + 1}"], self._widest)
        self.position.setToolTip(f"Frame {frame}, {time}: the current frame / frames, and "
                                 "the time in seconds.")
        play = self.buttons["play"]
        play.setText(PAUSE if p.playing else PLAY)
        play.setAccessibleName("Pause" if p.playing else "Play")
        if p.rate == 0:
            self.speed.setText("")
        else:
            self.speed.setText(f"{'◀' if p.rate < 0 else '▶'} {abs(p.rate)}×")
