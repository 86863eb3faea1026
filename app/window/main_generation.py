"""The main window's generation commands: the request and the input of a run, Generate,
Cancel, and what the window shows while a run reports back. Kept apart from
main_window.py, which builds and wires the widgets."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Slot

from app.state.media import Selection
from app.state.request_builder import build_request, downscales
from app.state.result_clip import ResultClip
from app.workers.eta import format_seconds
from app.workers.generation import RunProgress
from engine.request import Request


class GenerationMixin:
    # -- the run's input -----------------------------------------------------------------
    def current_request(self) -> Request:
        choices = self.panel.choices()
        if choices.task != "inpaint":
            return build_request(choices)
        mask, hints, _ = self.inpaint.request_arrays(self.in_out.in_point, self.in_out.out_point)
        return build_request(choices, mask, hints)

    def current_selection(self) -> Selection:
        """The in/out range; for inpaint its token also names the mask (results are cached
        by token and request, and requests compare equal whatever their masks)."""
        selection = self.source.selection(self.in_out.in_point, self.in_out.out_point)
        if self.panel.current_task() != "inpaint":
            return selection
        _, _, digest = self.inpaint.request_arrays(self.in_out.in_point, self.in_out.out_point)
        return replace(selection, token=(*selection.token, digest))

    # -- commands ------------------------------------------------------------------------
    def generate(self) -> None:
        if self.source is None:
            self.report_error("No clip", "Open a video first (File ▸ Open or drop a file).")
            return
        self._run_note = ""
        if self.panel.current_task() == "inpaint" and not self._inpaint_ready():
            return
        self._generated_once = True
        self.panel.set_progress(0, 1, "Starting…")
        self.generation.start(self.current_selection(), self.current_request())

    def _inpaint_ready(self) -> bool:
        """An inpaint run needs a mask in the in/out range: say so instead of running."""
        first, last = self.in_out.in_point, self.in_out.out_point
        if not self.inpaint.frames_with_mask(first, last):
            where = ("" if not self.inpaint.has_mask() else
                     f" (frames {first + 1}–{last + 1}: the mask is on other frames)")
            text = f"The mask is empty{where}: paint over what to fill on the Source view."
            self.panel.set_progress(0, 1, "Paint a mask first")
            self.statusBar().showMessage(text, 10000)
            return False
        quality = self.panel.quality.currentData()
        if downscales(quality, self.source.width, self.source.height):
            self._run_note = (f"inpainting at full size {self.source.width}×"
                              f"{self.source.height} ({quality.title()} does not shrink "
                              "masked clips; this can take a while)")
        return True

    def cancel_generation(self) -> None:
        if self.generation.busy:
            self.generation.cancel()

    def _on_choices_changed(self) -> None:
        if self.panel.auto_update.isChecked() and self._generated_once and self.source:
            self.generate()

    # -- reports from the run ------------------------------------------------------------
    @Slot(object)
    def _on_preview(self, clip: ResultClip) -> None:
        self.show_result(clip)

    @Slot(object)
    def _on_progress(self, p: RunProgress) -> None:
        status = f"Level {p.level} of {p.levels}"
        timing = f"{format_seconds(p.elapsed)} elapsed"
        if p.level < p.levels:
            timing += f" · about {format_seconds(p.remaining)} left"
        self.panel.set_progress(p.level, p.levels, status, timing)
        note = f" · {self._run_note}" if self._run_note else ""
        self.statusBar().showMessage(f"{status} · {timing} · {p.device}{note}")

    @Slot(object)
    def _on_finished(self, clip: ResultClip) -> None:
        w, h = clip.size
        self.panel.set_progress(clip.levels, clip.levels, f"Done: {w}×{h}, {len(clip.frames)} "
                                "frames", f"{format_seconds(clip.elapsed)} on {clip.device}")
        notes = [*clip.notes, self._run_note] if self._run_note else list(clip.notes)
        notes_text = f" ({'; '.join(notes)})" if notes else ""
        self.statusBar().showMessage(
            f"Result ready in {format_seconds(clip.elapsed)}{notes_text}", 10000)

    @Slot(str)
    def _on_generation_failed(self, message: str) -> None:
        self.panel.set_progress(0, 1, "Failed")
        self.report_error("Generation failed", message)

    @Slot()
    def _on_cancelled(self) -> None:
        self.panel.set_progress(0, 1, "Cancelled")
        self.statusBar().showMessage("Generation cancelled.", 5000)
