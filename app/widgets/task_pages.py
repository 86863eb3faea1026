"""Per-task option pages for the side panel (a QStackedWidget holds one per task).

Analogies get their own page here later.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFormLayout, QLabel, QVBoxLayout, QWidget

from app.state.request_builder import DEFAULT_NOISE
from app.widgets.slider_spin import SliderSpin

MAX_NOISE = 10.0


class TaskPage(QWidget):
    changed = Signal()  # a committed change of an option

    task = ""
    description = ""
    noise_tip = ""
    noise_label = "Variation"  # one name on every page (it was "Noise" on four)
    noise_max = MAX_NOISE
    noise_step = 0.5

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        about = QLabel(self.description)
        about.setWordWrap(True)
        about.setObjectName("hint")
        self.noise = SliderSpin(0.0, self.noise_max, DEFAULT_NOISE[self.task], decimals=1,
                                step=self.noise_step, tooltip=self.noise_tip)
        self.noise.committed.connect(self.changed)
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)  # narrow: label above
        form.addRow(self.noise_label, self.noise)
        self.body = QVBoxLayout(self)
        self.body.setContentsMargins(0, 0, 0, 0)
        self.body.addWidget(about)
        self.body.addLayout(form)

    def noise_value(self) -> float:
        return float(self.noise.value())

    def is_dragging(self) -> bool:
        return self.noise.is_dragging()


class VariationsPage(TaskPage):
    task = "generate"
    description = ("New videos that look and move like the clip. Every seed gives a different "
                   "layout; Browse seeds shows many at once.")
    noise_max = 4.0
    noise_step = 0.1
    noise_tip = ("How far layouts may move from the source: the coarsest level's noise as a "
                 f"multiple of the clip's own patch differences (default {DEFAULT_NOISE['generate']:g}; "
                 "0 reproduces the source, higher values give more varied but less faithful videos).")


class RetargetPage(TaskPage):
    task = "retarget"
    description = ("Change width, height or duration without stretching or cropping: the "
                   "clip's own patches are rearranged to fill the new shape.")
    noise_tip = ("How far the layout may move from the source's: 0 keeps it as closely as "
                 "possible (every seed nearly the same); raise it for more varied results "
                 "(the coarsest level's noise).")


class InpaintPage(TaskPage):
    """The mask painting tools (an InpaintPanel, added by the window, which owns the mask
    model and the overlay on the viewer) under the noise slider."""

    task = "inpaint"
    description = ("Paint on the Source view: Remove fills the painted area from the rest "
                   "of the video; Hint paints a colour the fill follows (a black blob in the "
                   "sky becomes a bird). The result is the in/out range at the clip's size "
                   "(Alt+X clears the range for the whole clip).")
    noise_tip = ("How varied the fills are (noise in the hole's first guess): 0 follows the "
                 "surroundings closely; higher values give more varied fills (try other seeds "
                 "too).")

    def set_tools(self, tools: QWidget) -> None:
        tools.layout().setContentsMargins(0, 4, 0, 0)
        self.body.addWidget(tools)
        self.tools = tools


PAGES = (VariationsPage, RetargetPage, InpaintPage)
