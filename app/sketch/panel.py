"""The Sketch task's side panel: the Inpaint brush panel with the sketch's words (ink and
tones instead of holes and hints) and "Sketch: Import…" instead of the mask files."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QFileDialog, QPushButton, QWidget

from app.inpaint import mask_io
from app.inpaint.mask_model import MaskModel
from app.inpaint.painter import MaskOverlay
from app.inpaint.panel import InpaintPanel
from app.state.media import MEDIA_PATTERNS

EXPORT_FAILED = "Cannot export the sketch"

SKETCH_FILTER = f"Sketches ({MEDIA_PATTERNS});;All files (*)"
TONE = QColor(128, 128, 128)  # a mid grey: moves, but slower than black ink


class SketchPanel(InpaintPanel):
    import_requested = Signal(str)  # a sketch file to read into the canvas
    export_requested = Signal(str)  # a folder to write the in/out range's drawing into
    make_key_requested = Signal()  # the frame in view made a key frame of its in-between
    cancel_import_requested = Signal()  # Cancel Import while a sketch file is read

    def __init__(self, model: MaskModel, overlay: MaskOverlay,
                 parent: QWidget | None = None) -> None:
        overlay.set_hint_color(TONE)
        super().__init__(model, overlay, parent)
        for button in self.tools.buttons():
            tool = button.property("tool")
            if tool == "brush":
                button.setToolTip("Draw (left-drag). Right-drag erases.")
            elif tool == "eraser":
                button.setToolTip("Erase the drawing (E toggles draw / erase).")
            elif tool == "eyedropper":
                button.setVisible(False)  # the canvas is blank paper: nothing to pick
        self.remove_kind.setText("Ink")
        self.remove_kind.setToolTip("Black ink: the result moves here (fastest).")
        self.hint_kind.setText("Tone")
        self.hint_kind.setToolTip("Draw in a tone (click the swatch): darker moves faster, "
                                  "lighter more slowly; white is still paper.")
        self.hint_color.setToolTip("The tone that Tone strokes draw with (choosing one "
                                   "selects Tone).")
        self.hint_color.setAccessibleName("Tone colour")
        for widget in (self.overlay_color, self.opacity):
            self.form.setRowVisible(widget, False)  # ink is always shown as drawn
        # A run takes ink where it is painted at least half: a soft edge showed a fade of
        # greys (which in a sketch are tones, moving more slowly) that the run took as a
        # hard stroke half as wide. The brush is hard, as the run reads it.
        self.form.setRowVisible(self.hardness, False)
        self.hardness.setValue(100)
        overlay.set_hardness(1.0)
        # The mask edits' words are the inpainting's (holes): said of the drawing here.
        for text, about in (("Invert", "Swap ink and paper (the drawn and the blank)."),
                            ("Clear", "Remove the drawing."),
                            ("Grow", "Thicken the ink by N pixels."),
                            ("Shrink", "Thin the ink by N pixels.")):
            self.edit_buttons[text].setToolTip(about + " Applies to the chosen frames; undoable.")
        self.amount.setToolTip("Pixels to thicken or thin the ink by.")
        self.amount.setAccessibleName("Thicken or thin by")
        self.show_mask.setText("Show sketch")
        self.show_mask.setToolTip("Show or hide the drawing: the key frames' ink and the "
                                  "faint drawing between them.")
        self.onion.setToolTip("Also show the previous (blue) and next (orange) frames' "
                              "drawings faintly.")
        self.form.labelForField(self.files).setText("Sketch")  # Sketch: Import…
        self.import_button.setToolTip("Load a sketch (black strokes on white, or flat tones): "
                                      "a video or any frame of a numbered sequence (the whole "
                                      "folder), laid over the in/out range, or an image (used "
                                      "for every frame).")
        self.export_button.setToolTip("Write the in/out range's drawing as a run gets it (key "
                                      "frames and the slides between them) as numbered PNG "
                                      "frames: for the command line's sketch, or to import "
                                      "again.")
        self.export_name = "sketch"
        # A frame between key frames shows their in-between faint; a stroke there makes a
        # key frame of the stroke alone. This makes it one of the in-between, to change.
        self.key_button = QPushButton("Make Key Frame")
        self.key_button.setToolTip("Draw this frame's in-between drawing (shown faint) on it, "
                                   "as a key frame you can then change.")
        self.key_button.setEnabled(False)
        self.key_button.clicked.connect(self.make_key_requested)
        self.form.insertRow(self.form.rowCount() - 1, "Key frame", self.key_button)

    cancel_import_tip = "Stop reading the sketch (the drawing stays as it is)."

    def cancel_import(self) -> None:
        self.cancel_import_requested.emit()  # the controller reads sketch files

    def choose_import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import a sketch: a video, an image or "
                                              "any frame of a numbered sequence",
                                              str(self.folder or ""), SKETCH_FILTER)
        if path:  # a frame of a numbered sequence stands for its folder, as for masks
            self.import_requested.emit(str(mask_io.import_target(path)))

    export_failed = EXPORT_FAILED
    nothing_to_export = "There is no sketch to export yet: draw one first."
    export_caption = "Export the sketch as a folder of PNG frames"

    def exports_hints(self) -> bool:
        return False  # the tones are in the frames written

    def export_chosen(self, folder: Path) -> None:
        self.export_requested.emit(str(folder))  # the controller makes the frames

    def _masked_changed(self, masked) -> None:
        n, t = int(masked.sum()), len(masked)
        self.status.setText(
            f"Drawn on {n} of {t} frames, the key frames; the others show faint what a run "
            "draws there from them." if n
            else "Nothing drawn yet: draw where the result should move.")
