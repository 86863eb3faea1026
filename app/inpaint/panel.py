"""The Inpaint task's side panel: brush, mask and history controls for a MaskModel and the
MaskOverlay that paints it. It writes only through those two objects.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QAction, QColor, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.inpaint import mask_io
from app.inpaint.mask_model import MaskModel
from app.inpaint.painter import MAX_RADIUS, MaskOverlay
from app.state.project_file import SnapshotStale
from app.widgets import folder_dialog
from app.widgets.number_boxes import ClampingSpinBox
from app.widgets.panel_widgets import ColorButton, slider, tip
from app.window import prompts
from app.workers import jobs
from engine.errors import EngineError

IMPORT_FAILED, EXPORT_FAILED = "Cannot import the masks", "Cannot export the masks"
NOTHING_TO_EXPORT = "There is no mask to export yet."
BUSY_PIXELS = 16 * 1920 * 1080  # an edit of more frames' pixels shows the wait cursor
SCOPE_LABELS = {"frame": "This frame", "range": "In–out range", "all": "All frames"}
MAX_SIZE = int(2 * MAX_RADIUS)


# What the Edit menu calls each history step (a stroke's kind, or the command's name).
STEP_NAMES = {"remove": "Stroke", "hint": "Hint Stroke", "erase": "Eraser Stroke"}


class InpaintPanel(QWidget):
    message = Signal(str)  # a line for the status bar (import / export results)
    failed = Signal(str, str)  # (title, message) for an error dialog

    def __init__(self, model: MaskModel, overlay: MaskOverlay,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model, self.overlay = model, overlay
        # Where the file dialogs start, and the default name of an exported mask folder.
        self.folder: Path | None = None
        self.export_name = "masks"
        self._jobs: dict[jobs.Job, tuple] = {}  # import/export on a worker: (done, failure)
        self._import: jobs.Job | None = None  # the latest import: an earlier one is dropped
        self._import_resets = 0  # the layers' reset the import was read for
        self._import_name = ""
        self._saying: dict[jobs.Job, str] = {}  # what each job's status line says
        self._build_actions()

        self.tools = QButtonGroup(self)
        tool_row = QHBoxLayout()
        for name, text, about in (
                ("brush", "Brush", "Paint the hole (left-drag). Right-drag erases."),
                ("eraser", "Eraser", "Erase the mask (E toggles brush / eraser)."),
                ("eyedropper", "Pick", "Eyedropper: click the video to take a hint colour.")):
            b = tip(QToolButton(), about)
            b.setText(text)
            b.setCheckable(True)
            b.setProperty("tool", name)
            self.tools.addButton(b)
            tool_row.addWidget(b)
        self.tools.buttons()[0].setChecked(True)
        self.tools.buttonClicked.connect(lambda b: overlay.set_tool(b.property("tool")))
        overlay.toolChanged.connect(self._show_tool)

        self.remove_kind = tip(QRadioButton("Remove"),
                                "Fill the painted area from the rest of the video.")
        self.hint_kind = tip(QRadioButton("Hint"),
                              "Paint a colour the fill follows (black blob → a bird, white → "
                              "a cloud).")
        self.remove_kind.setChecked(True)
        self.hint_kind.toggled.connect(lambda on: overlay.set_kind("hint" if on else "remove"))
        self.hint_color = tip(ColorButton(overlay.hint_color, "Hint colour", named=False),
                               "The colour Hint strokes paint (choosing one selects Hint).")
        self.hint_color.colorChanged.connect(overlay.set_hint_color)
        # A colour chosen is the one meant for the next strokes: they still removed (and
        # Sketch's still drew black ink) until Hint was ticked as well.
        self.hint_color.chosen.connect(lambda color: self.hint_kind.setChecked(True))
        overlay.colorPicked.connect(self._picked)
        kind_row = QHBoxLayout()
        for w in (self.remove_kind, self.hint_kind, self.hint_color):
            kind_row.addWidget(w)

        self.size = slider(1, 200, round(2 * overlay.radius),
                            "Brush diameter in pixels ([ smaller, ] larger, Shift+drag).")
        self.size.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # Tab stops at the box beside it
        self.size_spin = tip(ClampingSpinBox(), self.size.toolTip())
        self.size_spin.setRange(1, MAX_SIZE)
        self.size_spin.setSuffix(" px")
        self.size_spin.setValue(self.size.value())
        self.size.valueChanged.connect(self.size_spin.setValue)
        self.size_spin.valueChanged.connect(self._size_changed)
        overlay.radiusChanged.connect(lambda r: self.size_spin.setValue(round(2 * r)))
        size_row = QHBoxLayout()
        size_row.addWidget(self.size, 1)
        size_row.addWidget(self.size_spin)
        self.hardness = slider(0, 100, round(overlay.hardness * 100),
                                "Edge hardness: 100 % is a crisp edge, lower fades it out.")
        self.hardness.valueChanged.connect(lambda v: overlay.set_hardness(v / 100))

        self.overlay_color = tip(ColorButton(overlay.overlay_color, "Mask colour"),
                                  "The colour the Remove mask is shown in.")
        self.overlay_color.colorChanged.connect(overlay.set_overlay_color)
        self.opacity = slider(0, 100, round(overlay.opacity * 100), "Mask opacity on screen.")
        self.opacity.valueChanged.connect(lambda v: overlay.set_opacity(v / 100))
        self.show_mask = tip(QCheckBox("Show mask"), "Show or hide the mask over the video.")
        self.show_mask.setChecked(True)
        self.show_mask.toggled.connect(overlay.set_mask_visible)
        self.onion = tip(QCheckBox("Onion skin"), "Also show the previous (blue) and next "
                                                   "(orange) frames' masks faintly.")
        self.onion.toggled.connect(overlay.set_onion)
        self.scope = tip(QComboBox(), "Which frames a stroke or edit applies to.")
        for key, label in SCOPE_LABELS.items():
            self.scope.addItem(label, key)
        self.scope.currentIndexChanged.connect(
            lambda _i: overlay.set_scope(self.scope.currentData()))

        self.amount = tip(ClampingSpinBox(), "Pixels to grow or shrink the hole by.")
        self.amount.setAccessibleName("Grow or shrink by")  # beside the buttons, no label
        self.amount.setRange(1, 200)
        self.amount.setValue(4)
        self.amount.setSuffix(" px")
        edits = QGridLayout()
        self.edit_buttons: dict[str, QPushButton] = {}  # by their text
        for i, (text, about, slot) in enumerate((
                ("Invert", "Swap hole and kept area.", lambda: self._edit(model.invert)),
                ("Clear", "Remove the mask.", lambda: self._edit(model.clear)),
                ("Grow", "Grow the hole by N pixels.",
                 lambda: self._edit(model.grow, self.amount.value())),
                ("Shrink", "Shrink the hole by N pixels.",
                 lambda: self._edit(model.shrink, self.amount.value())))):
            b = tip(QPushButton(text), about + " Applies to the chosen frames; undoable.")
            b.clicked.connect(slot)
            edits.addWidget(b, i // 2, i % 2)
            self.edit_buttons[text] = b
        edits.addWidget(self.amount, 1, 2)

        history = QHBoxLayout()
        for action in (self.undo_action, self.redo_action):
            b = QToolButton()
            b.setDefaultAction(action)
            history.addWidget(b)
        self.import_button = tip(QPushButton("Import…"),
                                  "Load a mask (white = hole): pick any frame of a numbered "
                                  "sequence for the whole folder (a '<name>_hints' folder "
                                  "beside it adds hint colours), one image for every frame, "
                                  "or a video.")
        self.import_button.clicked.connect(self._import_clicked)
        self._import_text, self._import_tip = self.import_button.text(), ""
        self._importing = False  # Import… is Cancel Import (show_importing)

        self.export_button = tip(QPushButton("Export…"),
                                  "Write the mask as numbered PNG frames (white = hole) and "
                                  "hint colours to '<name>_hints'.")
        self.export_button.clicked.connect(self.choose_export)
        files = QHBoxLayout()
        files.addWidget(self.import_button)
        files.addWidget(self.export_button)

        self.status = QLabel()
        self.status.setWordWrap(True)

        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)  # narrow: label above
        form.addRow("Tool", tool_row)
        form.addRow("Kind", kind_row)
        form.addRow("Size", size_row)
        form.addRow("Hardness", self.hardness)
        form.addRow("Mask colour", self.overlay_color)
        form.addRow("Opacity", self.opacity)
        display = QHBoxLayout()  # spans both columns: a checkbox as a label would widen them
        display.addWidget(self.show_mask)
        display.addWidget(self.onion)
        form.addRow(display)
        form.addRow("Applies to", self.scope)
        form.addRow(edits)  # the edits and undo span both columns
        form.addRow(history)
        form.addRow("Masks", files)  # Masks: Import… Export…
        self.form, self.files = form, files
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addStretch(1)
        model.history_changed.connect(self._history_changed)
        model.history_changed.connect(self._drop_stale_import)  # also emitted by a reset
        model.masked_frames_changed.connect(self._masked_changed)
        self._history_changed()
        self._masked_changed(model.masked_frames())

    def _build_actions(self) -> None:
        def action(text: str, keys: list[str], slot) -> QAction:
            a = QAction(text, self)
            a.setShortcuts([QKeySequence(k) for k in keys])
            a.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            a.triggered.connect(slot)
            return a

        self.undo_action = action("Undo Stroke", ["Ctrl+Z"], self.model.undo)
        self.redo_action = action("Redo Stroke", ["Ctrl+Shift+Z", "Ctrl+Y"], self.model.redo)
        self.undo_action.setObjectName("undo_stroke")  # menus.py's name for it, whatever its text
        self.redo_action.setObjectName("redo_stroke")
        self.smaller_action = action("Smaller Brush", ["["], lambda: self.step_size(-1))
        self.larger_action = action("Larger Brush", ["]"], lambda: self.step_size(1))
        self.eraser_action = action("Brush / Eraser", ["E"], self.toggle_eraser)

    def window_actions(self) -> list[QAction]:
        """Actions with shortcuts for the main window to add (enabled while active)."""
        return [self.undo_action, self.redo_action, self.smaller_action, self.larger_action,
                self.eraser_action]

    # --- reactions -----------------------------------------------------------------------
    def set_active(self, active: bool) -> None:
        """The Inpaint task is (or stops being) the current one: paint on the view or not."""
        self.overlay.set_active(active)
        for a in self.window_actions():
            a.setEnabled(active)
        if active:
            self._history_changed()

    def set_in_out(self, in_out: tuple[int, int] | None) -> None:
        self.overlay.set_in_out(in_out)

    def step_size(self, direction: int) -> None:
        """[ / ]: about 15 % per press, at least one pixel."""
        size = self.size_spin.value()
        step = max(1, round(size * 0.15))
        self.size_spin.setValue(size + direction * step)

    def toggle_eraser(self) -> None:
        self.overlay.set_tool("brush" if self.overlay.tool == "eraser" else "eraser")

    def _size_changed(self, size: int) -> None:
        self.size.blockSignals(True)
        self.size.setValue(min(size, self.size.maximum()))
        self.size.blockSignals(False)
        self.overlay.set_radius(size / 2)

    def _show_tool(self, tool: str) -> None:
        for b in self.tools.buttons():
            b.setChecked(b.property("tool") == tool)

    def _picked(self, color: QColor) -> None:
        self.hint_color.set_color(color)
        self.hint_kind.setChecked(True)

    def _edit(self, op, *args) -> None:
        o = self.overlay
        fs = self.model.frames_for(o.scope, o.frame, o.in_out)
        _, h, w = self.model.shape
        # A Grow of 64 painted Full-HD frames takes about 0.3 s: the pointer says so.
        busy = (fs.stop - fs.start) * h * w > BUSY_PIXELS
        if busy:
            QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            changed = op(*args, scope=o.scope, frame=o.frame, in_out=o.in_out)
        finally:
            if busy:
                QApplication.restoreOverrideCursor()
        if not changed:
            self.message.emit("Nothing to change in the chosen frames.")

    def _history_changed(self) -> None:
        active = self.overlay.active
        self.undo_action.setEnabled(active and self.model.can_undo())
        self.redo_action.setEnabled(active and self.model.can_redo())
        # The menu names the step (Undo Invert, Redo Import), not always "Stroke".
        for action, verb, label in ((self.undo_action, "Undo", self.model.undo_label()),
                                    (self.redo_action, "Redo", self.model.redo_label())):
            action.setText(f"{verb} {STEP_NAMES.get(label, label.title())}" if label else verb)

    def _masked_changed(self, masked) -> None:
        n, t = int(masked.sum()), len(masked)
        self.status.setText(f"Mask on {n} of {t} frames." if n else
                            "No mask yet: paint over what to remove.")

    # --- files -------------------------------------------------------------------------
    def import_from(self, path: str | Path) -> bool:
        """A folder of numbered frames (with its "<name>_hints" folder, when there is one),
        one image for every frame, or a video; white = hole."""
        try:
            self.model.import_png(path, _hints_beside(path))
        except (EngineError, ValueError, OSError) as exc:
            self.failed.emit(IMPORT_FAILED, str(exc))
            return False
        self.message.emit(_imported(path))
        return True

    def export_to(self, folder: str | Path) -> bool:
        try:
            written = self.model.export_png(folder)
        except (EngineError, ValueError, OSError) as exc:
            self.failed.emit(EXPORT_FAILED, str(exc))
            return False
        self.message.emit(_wrote(written))
        return True

    def start_import(self, path: str | Path) -> jobs.Job:
        """import_from with the reading on a worker (seconds for a Full-HD sequence); the
        layers are taken on the GUI thread when read, as one undo step. The status bar counts
        the frames read, and while it reads Import… is Cancel Import."""
        shape, hints_path, resets = self.model.shape, _hints_beside(path), self.model.resets

        def work(job: jobs.Job):  # stopped when another import is chosen, or the clip goes
            return (mask_io.load_mask(path, shape, job.is_cancelled, jobs.counting(job, "")),
                    mask_io.load_hints(hints_path, shape, job.is_cancelled,
                                       jobs.counting(job, "hint colours")) if hints_path else None)

        def done(job: jobs.Job, layers) -> None:
            mask, hint_layer = layers
            if job is not self._import or self.model.resets != resets:
                return  # another import chosen since, or another clip (or new project)
            self._import_over(job)
            self.model.set_arrays(mask, hint_layer)
            self.message.emit(_imported(path))

        if self._import is not None:  # the user chose again: the last choice wins
            self._jobs.pop(self._import, None)
            self._import.cancel()
        self._import = self._start(work, done, IMPORT_FAILED, f"Importing {Path(path).name}…")
        self._import_resets, self._import_name = resets, Path(path).name
        self.show_importing(True)
        return self._import

    # What Cancel Import says it does (the sketch's panel says its own).
    cancel_import_tip = "Stop reading the masks (what is painted stays)."

    def show_importing(self, reading: bool) -> None:
        """Import… is Cancel Import while a file is read into the layers."""
        if reading and not self._importing:
            self._import_tip = self.import_button.toolTip()
            self.import_button.setText("Cancel Import")
            self.import_button.setToolTip(self.cancel_import_tip)
        elif not reading and self._importing:
            self.import_button.setText(self._import_text)
            self.import_button.setToolTip(self._import_tip)
        self._importing = reading

    def _import_clicked(self) -> None:
        if self._importing:
            self.cancel_import()
        else:
            self.choose_import()

    def cancel_import(self) -> None:
        """Stop the import being read; the layers stay as they are."""
        job = self._import
        if job is None:
            return
        self._jobs.pop(job, None)
        job.cancel()
        self._saying.pop(job, None)
        self._import_over(job)
        self.message.emit(f"Import of {self._import_name} cancelled; the mask is as it was.")

    def _import_over(self, job: jobs.Job) -> None:
        """Import… again once the latest import has ended, whatever its end."""
        if job is self._import:
            self._import = None
            self.show_importing(False)

    def _drop_stale_import(self) -> None:
        """Another clip (or a new project) reset the layers: an import read for the old one
        stops now, not after reading the whole file for nothing."""
        if self._import is not None and self.model.resets != self._import_resets:
            self._jobs.pop(self._import, None)
            self._import.cancel()
            self._saying.pop(self._import, None)
            self._import_over(self._import)

    def start_export(self, folder: str | Path) -> jobs.Job:
        """export_to with the PNG encoding on a worker, the layers copied there too (on
        the GUI thread, 340 ms for 64 Full-HD frames painted throughout), with the frames
        written in the status bar; painted meanwhile, the copy is taken again."""
        make = self.model.request_arrays_later()

        def work(job: jobs.Job):
            try:
                mask, hints = make()
            except SnapshotStale:
                return None
            return mask_io.save_png(mask, hints, folder, cancel=job.is_cancelled,
                                    progress=lambda n, total: job.report((n, total)))

        def done(job: jobs.Job, written) -> None:
            if written is None:  # a stroke landed while the layers were copied
                self.start_export(folder)
                return
            self.message.emit(_wrote(written))

        return self._start(work, done, EXPORT_FAILED, f"Writing {Path(folder).name}…")

    def _start(self, work, done, failure: str, saying: str) -> jobs.Job:
        """Run `work` on a worker; `done(job, result)` or the failure dialog follow on the
        GUI thread (the slots below are this widget's: queued from the worker)."""
        job = jobs.Job(work, name=failure.lower())
        self._jobs[job] = (done, failure)
        self._saying[job] = saying
        job.succeeded.connect(self._on_job_succeeded)
        job.failed.connect(self._on_job_failed)
        job.progress.connect(self._on_job_progress)
        # A slot of this widget, so queued behind the job's progress (a lambda ran on the
        # worker at once, and the last frames' count was dropped).
        job.done.connect(self._on_job_done)
        self.message.emit(saying)
        jobs.start(job)
        return job

    @Slot(object, object)
    def _on_job_succeeded(self, job: jobs.Job, result) -> None:
        done, _ = self._jobs.pop(job, (None, ""))
        if done is not None:
            done(job, result)

    @Slot(object)
    def _on_job_done(self, job: jobs.Job) -> None:
        self._saying.pop(job, None)
        self._import_over(job)  # failed: Import… again (the dialog says why)

    @Slot(object, object)
    def _on_job_progress(self, job: jobs.Job, value) -> None:
        """How far a long export or import is: "Writing masks… 12 of 64 frames",
        "Importing masks… hint colours 12 of 64 frames"."""
        saying = self._saying.get(job)
        if saying is not None and job in self._jobs:
            *what, done, total = value
            part = f" {what[0]}" if what and what[0] else ""
            self.message.emit(f"{saying}{part} {done} of {total} frames")

    @Slot(object, str)
    def _on_job_failed(self, job: jobs.Job, message: str) -> None:
        _, failure = self._jobs.pop(job, (None, ""))
        if failure:
            self.failed.emit(failure, message)

    def choose_import(self) -> None:
        # A file dialog, not a folder one: a mask video or a single image is picked as a
        # file, and a folder of numbered frames by picking any of its frames.
        path, _ = QFileDialog.getOpenFileName(
            self, "Import masks: any frame of a numbered sequence, an image or a video",
            str(self.folder or ""), mask_io.MASK_FILTER)
        if path:
            self.start_import(mask_io.import_target(path))

    # What Export… writes and says (the sketch's panel says its own).
    export_failed, nothing_to_export = EXPORT_FAILED, NOTHING_TO_EXPORT
    export_caption = "Export masks as a folder of PNG frames"

    def choose_export(self) -> None:
        # As File ▸ Export Masks… says: the button wrote a folder of black frames.
        if self.model.is_empty():
            self.failed.emit(self.export_failed, self.nothing_to_export)
            return
        start = (self.folder / self.export_name) if self.folder else Path(self.export_name)
        # An earlier export's folder (the name offered) is chosen, not entered.
        path = folder_dialog.choose_folder_to_write(
            self, self.export_caption, start.absolute(), mask_io.earlier_export)
        if path is None:
            return
        try:  # refused now, not after the work: a folder that is not an earlier export
            there = mask_io.check_export(path, self.exports_hints())
        except EngineError as exc:
            self.failed.emit(self.export_failed, str(exc))
            return
        if not there or prompts.ask_replace(self, there):  # an earlier export: asked first
            self.export_chosen(path)

    def exports_hints(self) -> bool:
        """Whether the export writes a folder of hint colours beside the masks."""
        return self.model.has_hints()

    def export_chosen(self, folder: Path) -> None:
        """Write the export into `folder`, chosen and checked."""
        self.start_export(folder)


def _hints_beside(path: str | Path) -> Path | None:
    """The "<name>_hints" folder beside a folder of mask frames, when there is one."""
    hints = mask_io.hints_folder_for(path)
    return hints if Path(path).is_dir() and hints.is_dir() else None


def _imported(path: str | Path) -> str:
    return f"Imported masks from {Path(path).name}."


def _wrote(written: list[Path]) -> str:
    return "Wrote " + " and ".join(p.name for p in written) + "."
