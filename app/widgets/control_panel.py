"""The side panel: task, output size and duration, seed and noise, quality and device,
and the Generate / Cancel / Browse seeds buttons with the run's progress.

It emits `choices_changed` only for committed changes, debounced, and never while a
slider is held down, so an expensive run never starts in the middle of a drag.
"""

from __future__ import annotations

import random

from PySide6.QtCore import QEvent, QObject, QSize, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractSlider,
    QAbstractSpinBox,
    QApplication,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QScrollBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.state.request_builder import (
    BLEND_SEAMS_NAMES,
    QUALITIES,
    TASKS,
    WHOLE_TASKS,
    Choices,
    quality_tooltip,
)
from app.state.settings import PanelSettings
from app.widgets.focus_keys import give_keys_to_controls, tab_in_screen_order
from app.widgets.guided_pages import AnalogyPage, GuidedPage, SketchPage
from app.widgets.number_boxes import ClampingSpinBox
from app.widgets.size_controls import OutputSizeGroup
from app.widgets.task_pages import PAGES
from engine.config import QUALITY_PRESETS, shrink_scale
from engine.request import SEAM_TASKS

ALL_PAGES = (*PAGES, AnalogyPage, SketchPage)
# Tasks whose output size is not chosen here: inpaint keeps the clip's, analogy follows
# clip A, a sketch its canvas (the clip's size).
FIXED_SIZE_TASKS = ("inpaint", "analogy", "sketch")

DEBOUNCE_MS = 350
MAX_SEED = 2**31 - 1


class ControlPanel(QWidget):
    choices_changed = Signal()  # a committed change of what a run would make (debounced)
    edited = Signal()  # any committed change of a setting (the session saves them all)
    task_changed = Signal(str)  # the engine task name: "generate", "retarget", "inpaint"
    generate_requested = Signal()
    cancel_requested = Signal()
    browse_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("controlPanel")
        self.task = QComboBox()
        self.task.addItems(list(TASKS))
        self.task.setToolTip("What to make: Variations (new videos like the clip), Retarget "
                             "(new size or duration), Inpaint (paint a region to fill), "
                             "Analogy (clip A's motion, this clip's look) or Sketch (a drawing's "
                             "layout, this clip's look).")
        # One page per task; only the current one is shown. A plain box layout (not a
        # QStackedWidget, which is as tall as its tallest page) lets short pages stay short.
        self.pages = QWidget()
        pages_layout = QVBoxLayout(self.pages)
        pages_layout.setContentsMargins(0, 0, 0, 0)
        self._pages = []
        for page_class in ALL_PAGES:
            page = page_class()
            page.changed.connect(self._schedule)
            pages_layout.addWidget(page)
            self._pages.append(page)
        self._current = 0
        self.output = OutputSizeGroup()

        self.seed = ClampingSpinBox()
        self.seed.setRange(0, MAX_SEED)
        self.seed.setKeyboardTracking(False)
        self.seed.setToolTip("Random seed: the same seed and settings always give the same video.")
        self.new_seed = QToolButton()
        self.new_seed.setText("Random")
        self.new_seed.setToolTip("Pick a new random seed.")
        self.quality = QComboBox()
        for label, key in QUALITIES.items():
            self.quality.addItem(label, key)
            self.quality.setItemData(self.quality.count() - 1, quality_tooltip(key),
                                     Qt.ItemDataRole.ToolTipRole)
        self.quality.setCurrentText("Normal")
        self.quality.setToolTip("Draft: a quick look, made at most 320 px on its longer side "
                                "(the result is that small). Normal: full size, the default. "
                                "Best: full size, about 3x slower, a little cleaner in places. "
                                "Hover an entry for how each is made.")
        # At Draft, the size the result will have (the panel's Width and Height are the
        # full-size output's; an audit found the smaller result unexplained).
        self.draft_note = QLabel()
        self.draft_note.setObjectName("hint")
        self.draft_note.setWordWrap(True)
        self.draft_note.setVisible(False)
        self.quality.currentIndexChanged.connect(lambda _: self._show_draft_size())
        self.output.live_changed.connect(self._show_draft_size)
        self.output.changed.connect(self._show_draft_size)  # (a preset, a typed size)
        self.device = QLabel("Device: …")
        self.device.setWordWrap(True)  # a long GPU name must not widen the panel
        self.device.setToolTip("Where the engine runs (CPU or the GPU's name).")
        # Where the run blends the faint seams of its output (Settings.blend_seams): by
        # default only a result whose seam measure the realism score would flag.
        self.blend_seams = QComboBox()
        for mode, label in BLEND_SEAMS_NAMES.items():
            self.blend_seams.addItem(label, mode)
        self.blend_seams.setCurrentIndex(self.blend_seams.findData("auto"))
        self.blend_seams.setToolTip(
            "Blend the faint seams where regions copied from different places meet in smooth "
            "areas (a pale step in a sky), spreading each step out smoothly; objects and "
            "textures stay as made. Where they show (the default): only a result whose seams "
            "the realism score would flag (⚠ faint seams); every other result is left as made. "
            "Always: every result, a little less like the source, patch by patch, in "
            "its blended skies. Never: no blend, as in the paper. Variations and Retarget.")
        seams_label = QLabel("Blend seams")
        seams_label.setBuddy(self.blend_seams)
        self.seams_row = QWidget()
        row = QHBoxLayout(self.seams_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(seams_label)
        row.addWidget(self.blend_seams, 1)
        self.keep_whole = QCheckBox("Keep subjects whole")
        self.keep_whole.setToolTip(
            "For a clip of one large subject (a dancer, a person): every part of the clip is "
            "wanted where the layout is drawn, so the subject is far less often cut into "
            "pieces. Layouts stay closer to the clip's own, and the variations hold more of "
            "its moving things, so they move more. Off by default: not the paper's method "
            "for variations. Variations only.")
        self.keep_edges = QCheckBox("Keep bars")
        self.keep_edges.setChecked(True)
        self.keep_edges.setToolTip(
            "Black bars, bars of one colour and the blurred copy of itself around a tall or "
            "wide picture (blurred sides) stay out of what is made: the picture inside them "
            "is made, and they are put back around it (the blurred sides made again from the "
            "new picture). Off: the whole frame is made, for a clip whose edges were taken "
            "for bars by mistake. Variations and Retarget.")
        self.auto_update = QCheckBox("Update on change")
        self.auto_update.setChecked(True)
        self.auto_update.setToolTip("After the first Generate, regenerate automatically when a "
                                    "setting of this panel changes (when a slider is released). "
                                    "Mask and sketch strokes, clip A and the in/out range mark "
                                    "the result Out of date instead: press Generate.")

        self.generate = QPushButton("Generate")
        self.generate.setObjectName("primary")
        self.generate.setToolTip("Make the result from the in/out range (G or Ctrl+Enter).")
        self.cancel = QPushButton("Cancel")
        self.cancel.setToolTip("Stop the running generation (Esc).")
        self.cancel.setEnabled(False)
        self.browse = QPushButton("Browse seeds…")
        self.browse.setToolTip("Show a grid of variations with consecutive seeds, starting "
                               "at the current seed; star favourites and export them.")
        self.browse_count = ClampingSpinBox()
        self.browse_count.setRange(2, 32)
        self.browse_count.setValue(8)
        self.browse_count.setToolTip("How many variations the seed browser shows.")
        self.status = QLabel("Ready")
        self._waiting = ""  # the line said while Generate waits for an input (set_generate_ready)
        self.status.setObjectName("runStatus")
        self.status.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.progress.setToolTip("Pyramid levels done (coarse to fine).")
        self.timing = QLabel("")
        self.timing.setObjectName("hint")
        self.timing.setWordWrap(True)  # "12 s on <a long GPU name> · realism 80 · 40% new"

        # Tab reaches them, a click does not take the focus (Space stays play / pause).
        for button in (self.generate, self.cancel, self.browse, self.new_seed, self.auto_update,
                       self.blend_seams, self.keep_whole, self.keep_edges):
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        for widget, name in ((self.task, "Task"), (self.seed, "Seed"), (self.quality, "Quality"),
                             (self.new_seed, "Random seed"), (self.blend_seams, "Blend seams"),
                             (self.browse_count, "Variations to browse")):
            widget.setAccessibleName(name)  # the form's labels are not their buddies
        self._build_layout()

        self.task.currentIndexChanged.connect(self._on_task)
        self._show_page(self.task.currentIndex())
        self.output.changed.connect(self._schedule)
        self.seed.valueChanged.connect(self._schedule)
        self.new_seed.clicked.connect(self.randomize_seed)
        self.quality.currentIndexChanged.connect(self._schedule)
        self.blend_seams.currentIndexChanged.connect(self._schedule)
        self.keep_whole.toggled.connect(self._schedule)
        self.keep_edges.toggled.connect(self._schedule)
        self.generate.clicked.connect(self.generate_requested)
        self.cancel.clicked.connect(self.cancel_requested)
        self.browse.clicked.connect(self.browse_requested)
        self._debounce = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._debounce.timeout.connect(self._emit_changed)
        self.auto_update.toggled.connect(self.edited)
        self.browse_count.valueChanged.connect(self.edited)
        self.output.lock.toggled.connect(self.edited)

    def _build_layout(self) -> None:
        task_box = QGroupBox("Task")
        tl = QVBoxLayout(task_box)
        tl.addWidget(self.task)
        tl.addWidget(self.pages)
        out_box = QGroupBox("Output")
        QVBoxLayout(out_box).addWidget(self.output)
        self.output_box = out_box
        seed_row = QHBoxLayout()
        seed_row.addWidget(self.seed, 1)
        seed_row.addWidget(self.new_seed)
        gen_box = QGroupBox("Generation")
        form = QFormLayout(gen_box)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)  # narrow: label above
        form.addRow("Seed", seed_row)
        form.addRow("Quality", self.quality)
        form.addRow("", self.draft_note)
        form.addRow("", self.device)
        form.addRow("", self.seams_row)
        # (One row for both boxes: a row more made the panel scroll on a 900-pixel screen.)
        boxes = QWidget()
        row = QHBoxLayout(boxes)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.keep_whole)
        row.addWidget(self.keep_edges)
        row.addStretch(1)
        form.addRow("", boxes)
        form.addRow("", self.auto_update)
        buttons = QHBoxLayout()
        buttons.addWidget(self.generate, 2)
        buttons.addWidget(self.cancel, 1)
        browse_row = QHBoxLayout()
        browse_row.addWidget(self.browse, 2)
        browse_row.addWidget(self.browse_count, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(task_box)
        layout.addWidget(out_box)
        layout.addWidget(gen_box)
        layout.addStretch(1)
        # Generate, Cancel, Browse and the run's progress: the window pins them under the
        # scrolled settings, so they stay in reach on a small screen.
        self.footer = QWidget(self)
        self.footer.setObjectName("runFooter")
        fl = QVBoxLayout(self.footer)
        fl.setContentsMargins(9, 4, 9, 6)
        fl.addLayout(buttons)
        fl.addLayout(browse_row)
        fl.addWidget(self.progress)
        fl.addWidget(self.status)
        fl.addWidget(self.timing)

    # -- public API --------------------------------------------------------------------
    def choices(self) -> Choices:
        w, h, t = self.output.values()
        return Choices(task=TASKS[self.task.currentText()], width=w, height=h, frames=t,
                       seed=self.seed.value(), noise=self.current_page().noise_value(),
                       quality=self.quality.currentData(),
                       blend_seams=self.seams_mode() if self.current_task() in SEAM_TASKS else "off",
                       keep_whole=self.keep_whole.isChecked() and self.current_task() in WHOLE_TASKS,
                       keep_edges=self.keep_edges.isChecked() or self.current_task() not in SEAM_TASKS)

    def settings(self) -> PanelSettings:
        """Everything the panel is set to (what a project saves)."""
        w, h, t = self.output.values()
        guided = [p for p in self._pages if isinstance(p, GuidedPage)]
        extra: dict = {}
        for page in guided:
            extra.update(page.fields())
        return PanelSettings(
            task=self.current_task(), quality=self.quality.currentData(),
            seed=self.seed.value(), noise={p.task: p.noise_value() for p in self._pages},
            width=w, height=h, frames=t, aspect_lock=self.output.lock.isChecked(),
            auto_update=self.auto_update.isChecked(), browse_count=self.browse_count.value(),
            guide_until={p.task: p.until_value() for p in guided},
            blend_seams=self.seams_mode(), keep_whole=self.keep_whole.isChecked(),
            keep_edges=self.keep_edges.isChecked(), **extra)

    def apply_settings(self, s: PanelSettings) -> None:
        """Show `s` (an opened project) without starting a run; task_changed still fires
        when the task differs, so the window can switch tools."""
        task_changed = s.task != self.current_task()
        widgets = (self.task, self.seed, self.quality, self.auto_update, self.browse_count,
                   self.output.lock, self.blend_seams, self.keep_whole, self.keep_edges)
        for w in widgets:
            w.blockSignals(True)
        try:
            self.task.setCurrentText(next(k for k, v in TASKS.items() if v == s.task))
            self._show_page(self.task.currentIndex())
            for page in self._pages:
                page.noise.set_value(s.noise.get(page.task, page.noise_value()), quiet=True)
                if isinstance(page, GuidedPage):
                    page.apply(s)
            self.seed.setValue(s.seed)
            self.set_quality(s.quality)
            self.auto_update.setChecked(s.auto_update)
            self.set_seams_mode(s.blend_seams)
            self.keep_whole.setChecked(s.keep_whole)
            self.keep_edges.setChecked(s.keep_edges)
            self.browse_count.setValue(s.browse_count)
            self.output.lock.setChecked(s.aspect_lock)
            if s.width and s.height and s.frames:
                self.output.set_values(s.width, s.height, s.frames)
        finally:
            for w in widgets:
                w.blockSignals(False)
        # Quality and size came in quietly: Draft's size line said the last clip's, or
        # nothing, after a project, a favourite or a recovery opened at Draft.
        self._show_draft_size()
        if task_changed:
            self.task_changed.emit(s.task)

    def seams_mode(self) -> str:
        """Blend seams as chosen: "auto", "on" or "off" (Settings.blend_seams)."""
        return self.blend_seams.currentData()

    def set_seams_mode(self, mode: str) -> None:
        index = self.blend_seams.findData(mode)
        self.blend_seams.setCurrentIndex(index if index >= 0 else self.blend_seams.findData("auto"))

    def current_page(self):
        return self._pages[self._current]

    def current_task(self) -> str:
        return TASKS[self.task.currentText()]

    def page_for(self, task: str):
        return next(page for page in self._pages if page.task == task)

    def set_task(self, label: str) -> None:
        self.task.setCurrentText(label)

    def set_quality(self, key: str) -> None:
        self.quality.setCurrentIndex(self.quality.findData(key))

    def randomize_seed(self) -> None:
        self.seed.setValue(random.randint(0, 99_999))

    def set_device(self, text: str) -> None:
        self.device.setText(f"Device: {text}")

    def set_busy(self, busy: bool) -> None:
        # A run stopped with Cancel focused: the focus goes back to Generate, where Qt sent
        # it on to Browse seeds… (a second Space opened the browser).
        back = not busy and self.cancel.hasFocus() and self.generate.isEnabled()
        self.cancel.setEnabled(busy)
        if back:
            self.generate.setFocus(Qt.FocusReason.OtherFocusReason)

    def set_generate_ready(self, ready: bool, why: str = "") -> None:
        """Generate and Browse seeds need the task's inputs (an analogy its motion clip);
        `why` says what is missing, on the buttons' tooltips."""
        self.generate.setEnabled(ready)
        self.browse.setEnabled(ready)
        self.generate.setToolTip("Make the result from the in/out range (G or Ctrl+Enter)."
                                 if ready else why)
        # The panel's line too: "Ready" over a greyed Generate left the reason to its
        # tooltip (an audit): the reason's first clause, until it is ready.
        waiting = why.split(":")[0].rstrip(".") if why and not ready else ""
        if waiting and self.status.text() in ("Ready", self._waiting):
            self.status.setText(waiting)
        elif not waiting and self._waiting and self.status.text() == self._waiting:
            self.status.setText("Ready")
        self._waiting = waiting

    def set_progress(self, done: int, total: int, status: str, timing: str = "") -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        if status == "Ready" and self._waiting:  # not over a greyed Generate (a line that
            status = self._waiting  # another task left was taken back after it greyed)
        self.status.setText(status)
        self.timing.setText(timing)

    def is_dragging(self) -> bool:
        return self.output.is_dragging() or self.current_page().is_dragging()

    # -- internals ---------------------------------------------------------------------
    def _on_task(self, index: int) -> None:
        self._show_page(index)
        self.task_changed.emit(self.current_task())
        self._schedule()

    def _show_page(self, index: int) -> None:
        self._current = index
        for i, page in enumerate(self._pages):
            page.setVisible(i == index)
        self.output_box.setVisible(self.current_task() not in FIXED_SIZE_TASKS)
        self.seams_row.setVisible(self.current_task() in SEAM_TASKS)
        self.keep_whole.setVisible(self.current_task() in WHOLE_TASKS)
        self.keep_edges.setVisible(self.current_task() in SEAM_TASKS)
        self._show_draft_size()
        self._keys_follow_screen()

    def _keys_follow_screen(self) -> None:
        """Tab goes through the page as it stands on the screen, Generate's row last (the
        painting tools, added by the window later, included), and a focused control keeps
        the keys it uses (app.widgets.focus_keys)."""
        give_keys_to_controls(self)
        tab_in_screen_order(self, self.footer)

    def take_typed(self) -> None:
        """Take the number being typed in a focused box of the panel (its boxes take typed
        text on Enter or when the focus leaves, and a click on Generate takes no focus)."""
        box = QApplication.focusWidget()
        while box is not None and not isinstance(box, QAbstractSpinBox):
            box = box.parentWidget()  # the focus may be on the box's line edit
        if box is not None and self.isAncestorOf(box):
            box.interpretText()

    def settle(self) -> None:
        """A run takes every choice now: the debounced change still to come is not another."""
        self._debounce.stop()

    def _show_draft_size(self) -> None:
        """Under Quality at Draft: the size the result will have, where Draft shrinks it."""
        w, h, _ = self.output.values()
        sw, sh, _ = self.output.source_size()
        side = QUALITY_PRESETS["draft"]["max_side"]
        scale = shrink_scale(side, sh, sw, h, w)
        # (Inpainting keeps the clip's size at Draft too; an analogy or a sketch is made at
        # clip A's or the drawing's size, not these.)
        shown = (self.quality.currentData() == "draft" and scale < 1.0
                 and self.current_task() in ("generate", "retarget"))
        if shown:
            self.draft_note.setText(f"Draft makes it {max(1, round(w * scale))}×"
                                    f"{max(1, round(h * scale))} (Normal: {w}×{h})")
        self.draft_note.setVisible(shown)

    def _schedule(self) -> None:
        self._debounce.start()

    def _emit_changed(self) -> None:
        if self.is_dragging():
            return  # the slider's release commits again
        self.edited.emit()
        self.choices_changed.emit()


WHEELED = (QComboBox, QAbstractSpinBox, QAbstractSlider)


class _WheelGuard(QObject):
    """The wheel over a control of the panel that the user has not clicked or tabbed into
    scrolls the panel: scrolling down the panel, the wheel reached Quality as it passed
    under the pointer and made it Best, or moved Variation and (Update on change) started
    a run, with no undo for settings. A control with the focus takes the wheel as before."""

    def __init__(self, scroll: QScrollArea) -> None:
        super().__init__(scroll)
        self.scroll = scroll
        for control in scroll.findChildren(QWidget):
            self._no_wheel_focus(control)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API)
        kind = event.type()
        if kind == QEvent.Type.Polish:  # a control made later (a page, the Inpaint panel)
            self._no_wheel_focus(watched)
        elif (kind == QEvent.Type.Wheel and isinstance(watched, WHEELED)
                and not isinstance(watched, QScrollBar)  # (it scrolls, the wheel's aim)
                and not watched.hasFocus() and self.scroll.isAncestorOf(watched)):
            QApplication.sendEvent(self.scroll.verticalScrollBar(), event)
            return True
        return False

    def _no_wheel_focus(self, control: QObject) -> None:
        # A spin box takes the focus from the wheel itself (before any filter sees the
        # event), and would then take the wheel: a click or Tab gives it the focus.
        if (isinstance(control, WHEELED) and not isinstance(control, QScrollBar)
                and control.focusPolicy() == Qt.FocusPolicy.WheelFocus
                and self.scroll.isAncestorOf(control)):
            control.setFocusPolicy(Qt.FocusPolicy.StrongFocus)


class PanelScroll(QScrollArea):
    """The side panel's scroll area: at least as wide as the panel's current page needs
    beside the vertical scroll bar (a QScrollArea alone says nothing of its widget's width),
    so the window's minimum width follows the panel; it scrolls only up and down, and
    sideways only where a page is wider than that (a large font, a long word)."""

    def __init__(self, panel: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidget(panel)
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        # No Tab stop of its own (nothing showed the focus there); Tab still scrolls the
        # control it reaches into view, and the wheel scrolls.
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        # On the whole application: the panel's pages make controls after this (guided
        # pages, the Inpaint panel). Removed with this scroll area (its child).
        QApplication.instance().installEventFilter(_WheelGuard(self))

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        hint = super().minimumSizeHint()
        panel = self.widget()
        if panel is None:
            return hint
        bar = self.verticalScrollBar().sizeHint().width()
        frame = 2 * self.frameWidth()
        return QSize(panel.minimumSizeHint().width() + bar + frame, hint.height())

    def eventFilter(self, watched, event) -> bool:  # noqa: N802
        if watched is self.widget() and event.type() == QEvent.Type.LayoutRequest:
            self.updateGeometry()  # another page, or a wider label: a new minimum
        return super().eventFilter(watched, event)
