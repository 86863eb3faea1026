"""One tile of the seed browser: an animated thumbnail (plays while hovered or selected),
the seed and its state, a favourite star, and Use / Refine buttons."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.state.result_clip import ResultClip
from app.widgets.elided_label import ElidedLabel
from app.widgets.frames import fit_size, to_pixmap
from engine.request import SEAMS_BLENDED, suggests_blend_seams, suggests_keep_whole
from engine.verdict import STANDS_OUT

if TYPE_CHECKING:
    from engine.realism import Realism

TILE_W, TILE_H = 256, 160  # the picture's box; the tile is as wide as its picture
# Broken layouts of one large subject are the engine's commonest fault on clips of people.
WHOLE_HINT = "A subject cut into pieces? Try Keep subjects whole (Variations). "
SEAMS_HINT = "Blend seams (Where they show) softens them. "
# What a result that Blend seams' default blended says of it (its tile, its Done line).
SEAMS_BLENDED_TIP = ("Its faint seams (pale steps where copied regions meet) were found and "
                     "blended (Blend seams: Where they show).")


class SeedTile(QFrame):
    use_requested = Signal(int)
    refine_requested = Signal(int)
    star_toggled = Signal(int, bool)
    clicked = Signal(int)

    def __init__(self, seed: int, display_size: tuple[int, int], fps: float,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("seedTile")
        self.setProperty("selected", False)
        self.seed = seed
        self.clip: ResultClip | None = None
        self.judged: Realism | None = None  # the clip's realism as the browser judged it among its tiles
        self.refined = False
        self._w, self._h = fit_size(*display_size, TILE_W, TILE_H)
        self._pixmaps: dict[int, QPixmap] = {}
        self._index = 0
        self._hovered = False
        self._selected = False
        self._timer = QTimer(self, interval=max(20, int(1000 / (fps if fps > 0 else 25))))
        self._timer.timeout.connect(self._advance)

        self.picture = QLabel("…")
        self.picture.setFixedSize(self._w, self._h)
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setObjectName("tilePicture")
        self.picture.setToolTip("Hover or click to play.")
        self.caption = QLabel(f"Seed {seed}")
        self.caption.setObjectName("tileCaption")
        self.state = ElidedLabel("waiting")
        self.state.setObjectName("hint")
        self.new_label = QLabel("")
        self.new_label.setObjectName("hint")
        self.new_label.setVisible(False)
        self.badge = QLabel("")
        self.badge.setObjectName("realismBadge")
        self.badge.setVisible(False)
        self.star = QToolButton()
        self.star.setCheckable(True)
        self.star.setText("☆")
        self.star.setToolTip("Mark as favourite (favourites can be exported together).")
        self.use = QToolButton()
        self.use.setText("Use")
        self.use.setToolTip("Show this variation as the result in the main viewer, and set "
                            "the panel to the settings that made it (once it is finished).")
        self.refine = QToolButton()
        self.refine.setText("Refine")
        self.refine.setToolTip("Compute this seed at full resolution (Best quality).")
        for b, name in ((self.star, "Favourite"), (self.use, "Use"), (self.refine, "Refine")):
            # Tab reaches them (Space presses): a keyboard user can star, use and refine;
            # a click does not take the focus from the grid.
            b.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            b.setAccessibleName(f"{name}: seed {seed}")
        # The seed and how new it is never shrink; the state gives way (clipped) when a long
        # seed and a narrow (portrait) tile leave no room (elided).
        for label in (self.caption, self.new_label):
            label.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Preferred)
        top = QHBoxLayout()
        top.addWidget(self.caption)
        top.addWidget(self.state, 1)
        top.addWidget(self.new_label)
        top.addWidget(self.star)
        buttons = QHBoxLayout()
        buttons.addWidget(self.badge)
        buttons.addWidget(self.use, 1)
        buttons.addWidget(self.refine, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)
        layout.addWidget(self.picture, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addLayout(top)
        layout.addLayout(buttons)
        self.setFixedWidth(max(self._w, 240) + 16)  # room for a long seed and its newness

        self.star.toggled.connect(self._on_star)
        self.use.clicked.connect(lambda: self.use_requested.emit(self.seed))
        self.refine.clicked.connect(lambda: self.refine_requested.emit(self.seed))
        self.use.setEnabled(False)

    # -- state -------------------------------------------------------------------------
    @property
    def starred(self) -> bool:
        return self.star.isChecked()

    def set_starred(self, on: bool) -> None:
        self.star.setChecked(on)

    def set_clip(self, clip: ResultClip, state: str) -> None:
        self.clip = clip
        self._pixmaps.clear()
        self.state.setText(state)
        self.use.setEnabled(clip.final)  # a coarse preview is not a result to export
        self._show(self._index % clip.length)
        self.show_realism(clip.realism)

    @property
    def realism_score(self) -> float | None:
        return None if self.judged is None else self.judged.score

    @property
    def newness(self) -> float | None:
        """How new the variation looks (engine.newness; None: not measured)."""
        return None if self.judged is None else self.judged.new

    def show_realism(self, r: Realism | None) -> None:
        """Show the clip's realism badge: `r` alone (engine.realism) or judged among the
        browser's tiles (judge_among)."""
        self.judged = r
        self.badge.setVisible(r is not None)
        self._show_newness(r)
        if r is None:
            return
        verdict = r.verdict
        hint = WHOLE_HINT if self.clip is not None and suggests_keep_whole(self.clip.request) else ""
        if verdict == "band_cut":
            text, kind = f"⚠ {r.score:.0f}", "flagged"
            where = "top" if r.layout_row < 0.34 else "middle" if r.layout_row < 0.67 else "bottom"
            tip = (f"Likely a band of the scene cut near the {where} of the frame: colours there "
                   "that the input holds at another height (sky in the ground, the ground or "
                   "floor gone). Realism ")
        elif verdict == "stands_out" and r.times_typical > STANDS_OUT:
            text, kind = f"⚠ {r.score:.0f}", "flagged"
            tip = (f"Stands out among these {r.among} variations: its least realistic parts are "
                   f"{r.times_typical:.1f}× as far from anything in the input as the "
                   "typical one's (likely a broken object, a piece in the wrong place, a blob). "
                   f"{hint}Realism ")
        elif verdict == "stands_out":  # flagged by the fixed limit, in a grid as broken as it
            text, kind = f"⚠ {r.score:.0f}", "flagged"
            tip = (f"Likely visible artifacts, as in most of these {r.among} variations: its "
                   "least realistic parts are far from anything in the input (a blob, a piece "
                   f"in the wrong place, a broken object). {hint}Realism ")
        elif verdict == "seams":
            text, kind = f"⚠ {r.score:.0f}", "flagged"
            seams_hint = (SEAMS_HINT if self.clip is not None and suggests_blend_seams(self.clip.request)
                          else "")
            tip = ("Likely faint seams: straight pale steps or blocks where regions copied from "
                   "differently lit parts of the input meet in a smooth area, such as a sky "
                   f"({r.seams:.1f} frame heights of them a frame). {seams_hint}Realism ")
        elif verdict == "flagged":
            text, kind = f"⚠ {r.score:.0f}", "flagged"
            tip = ("Likely visible artifacts (parts that look like nothing in the input: a "
                   f"blob, a piece in the wrong place, a broken object). {hint}Realism ")
        elif verdict == "waiting":
            text, kind = "judging…", "waiting"
            tip = (f"To be judged among this grid's variations once {r.waiting} more "
                   f"{'is' if r.waiting == 1 else 'are'} done: one threshold does not fit every "
                   "clip, the ranking within one does. Judged alone, realism ")
        elif verdict == "near_copy":
            text, kind = f"≈ input {r.score:.0f}", "copy"
            tip = "Mostly the input itself: realistic but hardly a new variation. Realism "
        else:
            text, kind = f"✓ {r.score:.0f}", "ok"
            tip = "No likely artifacts found. Realism "
        self.badge.setText(text)
        self.badge.setProperty("kind", kind)
        blended = (" " + SEAMS_BLENDED_TIP
                   if self.clip is not None and SEAMS_BLENDED in self.clip.notes else "")
        among = (f" Judged among the {r.among} finished variations of this grid (50 = at the "
                 "flag)." if r.among else "")
        self.badge.setToolTip(tip + f"{r.score:.0f}/100: how much the least realistic 5% of the "
                              "variation, seen at object scale, looks like the input, how "
                              "well its rows keep the input's layout, and how few faint seams it "
                              "has." + among + blended)
        self.badge.style().unpolish(self.badge)
        self.badge.style().polish(self.badge)

    def _show_newness(self, r: Realism | None) -> None:
        new = None if r is None else r.new
        self.new_label.setVisible(new is not None)
        if new is None:
            return
        self.new_label.setText(f"{100 * new:.0f}% new")
        self.new_label.setToolTip(
            f"How new it looks: {100 * new:.0f}% of its detail differs from the input where it "
            "stands (0% is the input again; most variations whose subjects all moved are at "
            "60-80%). Most new first sorts the grid by this.")

    def set_state(self, text: str) -> None:
        self.state.setText(text)

    def set_selected(self, on: bool) -> None:
        self._selected = on
        self.setProperty("selected", on)
        self.style().unpolish(self)
        self.style().polish(self)
        self._update_playing()

    @property
    def playing(self) -> bool:
        return self._timer.isActive()

    # -- events ------------------------------------------------------------------------
    def enterEvent(self, event):  # noqa: N802
        self._hovered = True
        self._update_playing()
        super().enterEvent(event)

    def leaveEvent(self, event):  # noqa: N802
        self._hovered = False
        self._update_playing()
        super().leaveEvent(event)

    def mousePressEvent(self, event):  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit(self.seed)
        super().mousePressEvent(event)

    # -- internals ---------------------------------------------------------------------
    def _on_star(self, on: bool) -> None:
        self.star.setText("★" if on else "☆")
        self.star_toggled.emit(self.seed, on)

    def _update_playing(self) -> None:
        if (self._hovered or self._selected) and self.clip is not None:
            self._timer.start()
        else:
            self._timer.stop()

    def _advance(self) -> None:
        if self.clip is not None:
            self._show((self._index + 1) % self.clip.length)

    def _show(self, index: int) -> None:
        self._index = index
        if self.clip is None:
            return
        key = index * len(self.clip.frames) // self.clip.length if not self.clip.final else index
        pixmap = self._pixmaps.get(key)
        ratio = self.devicePixelRatioF()
        if pixmap is None or pixmap.devicePixelRatio() != ratio:  # made for another screen
            # At the screen's pixels: a high-DPI screen magnified a logical-size pixmap.
            pixmap = to_pixmap(self.clip.frame_at(index), self._w, self._h, ratio)
            self._pixmaps[key] = pixmap
        self.picture.setPixmap(pixmap)
