"""Side-panel pages of the two guided tasks: Analogy (the motion layout of clip A, the look of
the open clip B) and Sketch (a drawn layout, the look of the open clip)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFormLayout, QLabel, QSpinBox, QWidget

from app.state.request_builder import DEFAULT_GUIDE_UNTIL
from app.state.settings import PanelSettings
from app.widgets.clip_slot import ClipSlot
from app.widgets.number_boxes import ClampingSpinBox
from app.widgets.slider_spin import SliderSpin
from app.widgets.task_pages import TaskPage

MAX_LEVELS = 16


def _levels_box(value: int, about: str) -> QSpinBox:
    box = ClampingSpinBox()
    box.setRange(2, MAX_LEVELS)
    box.setValue(value)
    box.setKeyboardTracking(False)
    box.setToolTip(about)
    return box


class GuidedPage(TaskPage):
    """A page whose layout comes from elsewhere: how far up the pyramid it steers."""

    until_tip = ""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.until = SliderSpin(0.0, 1.0, DEFAULT_GUIDE_UNTIL[self.task], decimals=2, step=0.05,
                                tooltip=self.until_tip)
        self.until.committed.connect(self.changed)
        self.form = QFormLayout()
        self.form.setContentsMargins(0, 0, 0, 0)
        self.form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.form.addRow("Follow up to", self.until)
        self.body.addLayout(self.form)

    def until_value(self) -> float:
        return float(self.until.value())

    def is_dragging(self) -> bool:
        return super().is_dragging() or self.until.is_dragging()

    def fields(self) -> dict:
        """Settings this page adds to PanelSettings."""
        return {}

    def apply(self, s: PanelSettings) -> None:
        """Show `s` without emitting `changed`."""
        self.until.set_value(s.guide_until.get(self.task, DEFAULT_GUIDE_UNTIL[self.task]), quiet=True)


class AnalogyPage(GuidedPage):
    task = "analogy"
    description = ("A new video that moves where clip A moves, made of the open clip's "
                   "look (B). Each clip's motion is measured (optical flow) and sorted into a "
                   "few speed levels, shown as colours below: blue still, red fastest.")
    noise_tip = ("How far the result may stray from A's layout (the coarsest level's noise): "
                 "0 follows it closely; higher values vary it more (seeds vary the result too).")
    until_tip = ("How much of the pyramid, from the coarsest level, A's motion steers: 0.5 "
                 "(the paper's choice) balances A's layout and B's look; 1 follows A most "
                 "closely, lower keeps more of B.")
    levels_changed = Signal()  # the number of levels of A or B changed: new overlays

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.motion_path = ""
        self.motion_slot = ClipSlot("Motion from (A)", "No clip chosen yet",
                                    "The clip whose motion layout the result follows: where "
                                    "and how fast things move.")
        self.look_slot = ClipSlot("Look from (B)", "The open clip",
                                  "The clip whose look the result takes (its colours, "
                                  "textures and dynamics): the open clip, in its in/out range. "
                                  "Open… or a drop here opens another clip.")
        self.guide_levels = _levels_box(
            4, "How many speeds A's motion is sorted into, from still to fastest (the colours "
            "on the Source view). More tell slow motion from fast more finely; fewer group A "
            "into broad still and moving regions.")
        self.look_levels = _levels_box(
            8, "How many speeds B's motion is sorted into. B's parts of each speed go where A "
            "has the same speed: more levels pick B's patches more finely by how fast they move.")
        for box in (self.guide_levels, self.look_levels):
            box.valueChanged.connect(self.changed)
            box.valueChanged.connect(self.levels_changed)
        self.form.insertRow(0, "Speed levels of A", self.guide_levels)
        self.form.insertRow(1, "Speed levels of B", self.look_levels)
        self.body.insertWidget(1, self.motion_slot)
        self.body.insertWidget(2, self.look_slot)
        self.legend = QLabel("Colours: <span style='color:#1e286e'>■</span> still · "
                             "<span style='color:#2896c8'>■</span> "
                             "<span style='color:#50be5a'>■</span> "
                             "<span style='color:#f0d23c'>■</span> "
                             "<span style='color:#dc3228'>■</span> fastest")
        self.legend.setObjectName("hint")
        self.body.addWidget(self.legend)

    def fields(self) -> dict:
        return {"guide_levels": self.guide_levels.value(), "look_levels": self.look_levels.value(),
                "motion_path": self.motion_path}

    def apply(self, s: PanelSettings) -> None:
        super().apply(s)
        for box, value in ((self.guide_levels, s.guide_levels), (self.look_levels, s.look_levels)):
            box.blockSignals(True)
            box.setValue(value)
            box.blockSignals(False)
        self.motion_path = s.motion_path


class SketchPage(GuidedPage):
    """The sketch brush (a SketchPanel, added by the window) under the options."""

    task = "sketch"
    description = ("Draw where the result should move on the Source view, a blank canvas "
                   "of the output size: ink (black) moves, white paper stays still, a grey "
                   "tone moves more slowly. The look comes from the open clip. Frames you "
                   "draw on are key frames; the frames between slide and morph from one to "
                   "the next. Or import a sketch video or image.")
    noise_tip = ("How far the result may stray from the sketch (the coarsest level's noise): "
                 "0 follows it most closely.")
    until_tip = ("How much of the pyramid, from the coarsest level, the sketch steers: 1 "
                 "(all of it) keeps the strokes readable; lower lets the look take over sooner.")

    def set_tools(self, tools: QWidget) -> None:
        tools.layout().setContentsMargins(0, 4, 0, 0)
        self.body.addWidget(tools)
        self.tools = tools
