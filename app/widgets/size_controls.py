"""Output size and duration: width / height with an aspect lock and presets, duration in
frames and seconds, and the resulting scale factors. Everything is in source pixels and
frames of the in/out range.
"""

from __future__ import annotations

import math

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QToolButton,
    QWidget,
)

from app.widgets.number_boxes import ClampingDoubleSpinBox
from app.widgets.slider_spin import SliderSpin
from engine.limits import MAX_FRAMES, MAX_SIDE

# name -> width / height; "Source" keeps the clip's own size.
ASPECT_PRESETS = {"16:9": 16 / 9, "9:16": 9 / 16, "1:1": 1.0, "4:5": 4 / 5}
MIN_SIDE = 16
MAX_SCALE = 4  # at most 4x the source in each dimension, and within engine.limits
FRAMES_TIP = "Output duration in frames (at the source frame rate)."
SECONDS_TIP = "Output duration in seconds."


class OutputSizeGroup(QWidget):
    changed = Signal()  # a committed change of width, height or duration
    live_changed = Signal()  # any change, also while a slider is dragged (labels only)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._src = (64, 64, 10)  # width, height, frames of the in/out range
        self._fps = 25.0
        self._ratio = 1.0
        self._follow_frames = True  # duration tracks the in/out range until edited
        # The duration the user chose: a range too short for it (one frame greys the box at
        # 1) holds it back only while it lasts; it used to stay at 1 after the range grew.
        self._wanted_frames = 10

        self.preset = QComboBox()
        self.preset.addItems(["Source", *ASPECT_PRESETS, "Custom"])
        self.preset.setToolTip("Aspect presets: Source keeps the clip's size; the others keep "
                               "its height and change the width (retargeting, no stretching); "
                               "Custom unlocks the aspect to type any width and height.")
        self.out_width = SliderSpin(MIN_SIDE, 64, 64, suffix=" px",
                                tooltip="Output width in source pixels.")
        self.out_height = SliderSpin(MIN_SIDE, 64, 64, suffix=" px",
                                 tooltip="Output height in source pixels.")
        self.lock = QToolButton()
        self.lock.setCheckable(True)
        self.lock.setChecked(True)
        self.lock.setText("Lock")
        self.lock.setToolTip("Lock the aspect ratio: changing the width changes the height.")
        self.out_frames = SliderSpin(1, 10, 10, suffix=" f", tooltip=FRAMES_TIP)
        self.seconds = ClampingDoubleSpinBox()
        self.seconds.setDecimals(2)
        self.seconds.setSuffix(" s")
        self.seconds.setKeyboardTracking(False)
        self.seconds.setToolTip(SECONDS_TIP)
        self.scale_label = QLabel()
        self.scale_label.setObjectName("scaleLabel")
        self.scale_label.setToolTip("Output size relative to the source (width, height, time).")
        # An odd side typed on purpose: said here, not only once the export has padded it.
        self.odd_note = QLabel()
        self.odd_note.setObjectName("oddNote")
        self.odd_note.setWordWrap(True)
        self.odd_note.setToolTip("H.264's colour format needs even sides: an MP4 export repeats "
                                 "the last column or row; GIF and PNG keep the size as it is.")

        top = QHBoxLayout()
        top.addWidget(self.preset, 1)
        top.addWidget(self.lock)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)  # narrow: label above
        form.addRow("Aspect", top)
        form.addRow("Width", self.out_width)
        form.addRow("Height", self.out_height)
        form.addRow("Frames", self.out_frames)
        form.addRow("Seconds", self.seconds)
        form.addRow("Scale", self.scale_label)
        form.addRow(self.odd_note)
        form.setRowVisible(self.odd_note, False)
        self._form = form

        self.preset.activated.connect(self._apply_preset)
        self.lock.toggled.connect(self._on_lock)
        self.out_width.value_changed.connect(self._on_width)
        self.out_height.value_changed.connect(self._on_height)
        self.out_frames.value_changed.connect(self._on_frames)
        self.seconds.valueChanged.connect(self._on_seconds)
        self.setEnabled(False)  # no clip yet: no size to start from (set_source)
        for control in (self.out_width, self.out_height, self.out_frames):
            control.committed.connect(self._commit)
            control.value_changed.connect(self.live_changed)

    # -- public API --------------------------------------------------------------------
    def set_source(self, width: int, height: int, frames: int, fps: float) -> None:
        """A new clip: ranges from its size, values reset to the source's."""
        self.setEnabled(True)
        self._src = (width, height, frames)
        self._fps = fps if fps > 0 else 25.0
        # A side under MIN_SIDE (a tiny image) is its own floor: the source's size is offered.
        low_w, low_h = min(MIN_SIDE, width), min(MIN_SIDE, height)
        self.out_width.set_range(low_w, min(MAX_SIDE, max(low_w, width * MAX_SCALE)))
        self.out_height.set_range(low_h, min(MAX_SIDE, max(low_h, height * MAX_SCALE)))
        self.out_width.set_value(width, quiet=True)
        self.out_height.set_value(height, quiet=True)
        self._ratio = width / height
        self._follow_frames = True
        self._set_frame_range(frames)
        self._set_frames(frames)
        self._align_spins()
        self._refresh()
        self.live_changed.emit()  # a new clip: what depends on the size follows

    def set_range_length(self, frames: int) -> None:
        """The in/out range changed: new limits; the duration follows unless edited."""
        self._src = (self._src[0], self._src[1], frames)
        self._set_frame_range(frames)
        self._set_frames(frames if self._follow_frames else self._wanted_frames)
        self._align_spins()
        self._refresh()

    def source_size(self) -> tuple[int, int, int]:
        """(width, height, frames) of the source's in/out range."""
        return self._src

    def values(self) -> tuple[int, int, int]:
        """(width, height, frames)."""
        return self.out_width.int_value(), self.out_height.int_value(), self.out_frames.int_value()

    def set_values(self, width: int, height: int, frames: int) -> None:
        self.out_width.set_value(width, quiet=True)
        self.out_height.set_value(height, quiet=True)
        self._set_frames(frames)
        self._follow_frames = frames == self._src[2]
        self._wanted_frames = frames
        w, h, _ = self.values()
        self._ratio = self._ratio_of(w, h)  # the lock keeps the shape it shows
        self._refresh()

    def _ratio_of(self, w: int, h: int) -> float:
        """The exact ratio a rounded w x h was made from (the source's or a preset's), else
        w / h: rebuilt from rounded sides, the lock drifted a pixel after a project opened
        (192 wide gave 127 where it gave 128 before the save)."""
        sw, sh, _ = self._src
        for ratio in (sw / sh, *ASPECT_PRESETS.values()):
            if abs(w / ratio - h) <= 1 and abs(h * ratio - w) <= 1:
                return ratio
        return w / h

    def is_dragging(self) -> bool:
        return any(c.is_dragging() for c in (self.out_width, self.out_height, self.out_frames))

    def scale_factors(self) -> tuple[float, float, float]:
        w, h, t = self.values()
        sw, sh, st = self._src
        return w / sw, h / sh, t / max(st, 1)

    # -- internals ---------------------------------------------------------------------
    def _set_frame_range(self, frames: int) -> None:
        single = frames <= 1
        low = 1  # one frame is a still made of the whole clip's patches (export as .png)
        top = min(MAX_FRAMES, max(frames * MAX_SCALE, 8))
        self.out_frames.set_range(low, top if not single else 1)
        self.seconds.blockSignals(True)
        # Enough decimals to name every frame (over 50 fps two named 0.03 s at 120 fps for
        # frames 3 and 4), and a step of one frame; the decimals first: they round the range.
        self.seconds.setDecimals(2 if self._fps <= 50 else 3 if self._fps <= 500 else 4)
        self.seconds.setRange(low / self._fps, self.out_frames.maximum() / self._fps)
        self.seconds.setSingleStep(1 / self._fps)
        self.seconds.blockSignals(False)
        self.out_frames.setEnabled(not single)
        self.seconds.setEnabled(not single)
        # Greyed with no reason given, it read as a fault: a one-frame source has no motion
        # to draw from, so a longer output would be that still over and over.
        why = (" A one-frame source makes a still: with no motion to draw from, a longer "
               "output would repeat it. Widen the in/out range for a video." if single else "")
        self.out_frames.set_tooltip(FRAMES_TIP + why)
        self.seconds.setToolTip(SECONDS_TIP + why)

    def _align_spins(self) -> None:
        """One width for the Width, Height and Frames boxes, the widest one's, so their
        sliders are one length (each box sized to its own range: a ragged column)."""
        spins = [c.spin for c in (self.out_width, self.out_height, self.out_frames)]
        widest = max(spin.sizeHint().width() for spin in spins)
        for spin in spins:
            spin.setMinimumWidth(widest)

    def _set_frames(self, frames: int) -> None:
        self.out_frames.set_value(frames, quiet=True)
        self.seconds.blockSignals(True)
        self.seconds.setValue(self.out_frames.value() / self._fps)
        self.seconds.blockSignals(False)

    def _apply_preset(self, index: int) -> None:
        name = self.preset.itemText(index)
        sw, sh, _ = self._src
        if name == "Source":
            w, h, self._ratio = sw, sh, sw / sh
        elif name in ASPECT_PRESETS:
            self._ratio = ASPECT_PRESETS[name]
            h = sh
            w = _even(h * self._ratio)
            # A width past the panel's bounds (a tall clip at 16:9, a tiny one at 9:16)
            # stops there and the height gives way, so the preset's aspect holds.
            bounded = min(max(w, self.out_width.minimum()), self.out_width.maximum())
            if bounded != w:
                w = int(bounded)
                h = _even(w / self._ratio)
        else:  # Custom: any width and height, so the lock comes off and typing starts
            self.lock.setChecked(False)
            self.out_width.spin.setFocus()
            self.out_width.spin.selectAll()
            return
        self.out_width.set_value(w, quiet=True)
        self.out_height.set_value(h, quiet=True)
        self.lock.blockSignals(True)
        self.lock.setChecked(True)
        self.lock.blockSignals(False)
        self._commit()

    def _on_lock(self, locked: bool) -> None:
        if locked:
            w, h, _ = self.values()
            self._ratio = w / h

    def _on_width(self, value: float) -> None:
        if self.lock.isChecked():
            self._keep_aspect(self.out_width, self.out_height, value, 1 / self._ratio)
        self._refresh()

    def _on_height(self, value: float) -> None:
        if self.lock.isChecked():
            self._keep_aspect(self.out_height, self.out_width, value, self._ratio)
        self._refresh()

    @staticmethod
    def _keep_aspect(edited: SliderSpin, other: SliderSpin, value: float, ratio: float) -> None:
        """The other side follows the edited one; where it would pass its own limit it
        stops there, and the edited side is held back to keep the aspect. After an even
        side it is even too, as a preset's is (a locked 300 of 256x144 gave 169 high, which
        the MP4 export padded to 170: the file was not the size the panel showed)."""
        follow = _even(value * ratio) if round(value) % 2 == 0 else round(value * ratio)
        held = min(max(follow, other.minimum()), other.maximum())
        other.set_value(held, quiet=True)
        if held != follow:
            edited.set_value(round(held / ratio), quiet=True)

    def _on_frames(self, value: float) -> None:
        self.seconds.blockSignals(True)
        self.seconds.setValue(value / self._fps)
        self.seconds.blockSignals(False)
        self._wanted_frames = int(round(value))
        self._follow_frames = self._wanted_frames == self._src[2]
        self._refresh()

    def _on_seconds(self, seconds: float) -> None:
        self._set_frames(round(seconds * self._fps))  # the box shows the whole frames' time
        self._wanted_frames = self.out_frames.int_value()
        self._follow_frames = self._wanted_frames == self._src[2]
        self._refresh()
        self._commit()

    def _commit(self) -> None:
        self._refresh()
        self.changed.emit()

    def _refresh(self) -> None:
        fw, fh, ft = self.scale_factors()
        self.scale_label.setText(f"×{fw:.2f} W · ×{fh:.2f} H · ×{ft:.2f} T")
        w, h, _ = self.values()
        odd = [f"{name} {v}" for name, v in (("width", w), ("height", h)) if v % 2]
        self.odd_note.setText(f"Odd {' and '.join(odd)}: an MP4 export adds one pixel "
                              f"({w + w % 2}×{h + h % 2})." if odd else "")
        self._form.setRowVisible(self.odd_note, bool(odd))
        sw, sh, _ = self._src
        name = "Custom"
        if (w, h) == (sw, sh):
            name = "Source"
        else:
            for key, ratio in ASPECT_PRESETS.items():
                if abs(w / h - ratio) < 0.02:
                    name = key
                    break
        self.preset.setCurrentText(name)


def _even(side: float) -> int:
    """A preset's side, to the nearest even number (odd where only that fits): a 9:16 of a
    144-pixel clip was 81 wide, and the MP4 export padded it to 82 (H.264's 4:2:0 needs
    even sides), so the file was not the size the panel showed."""
    even = 2 * math.floor(side / 2 + 0.5)  # a half up (81 -> 82), not to the even half
    return even if even >= 2 else max(1, round(side))
