"""Generate, Cancel and what the window shows while a run reports back; the request and
the input of a run, built from the session (settings, in/out range, mask)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Slot

from app.inpaint.controller import InpaintController
from app.state import memory_advice
from app.state.media import Selection, frames_text
from app.state.request_builder import GUIDED_TASKS, build_request, downscales, engine_shapes
from app.state.result_clip import ResultClip
from app.state.session import SessionModel
from app.state.settings import Favourite, PanelSettings
from app.widgets.control_panel import ControlPanel
from app.widgets.seed_tile import SEAMS_BLENDED_TIP, SEAMS_HINT
from app.window.guided import GuidedController
from app.window.messages import Messages
from app.window.settings_sync import SettingsSync
from app.window.view import ViewController
from app.workers.eta import format_estimate, format_seconds
from app.workers.generation import GenerationRunner, RunProgress, editor_text, made_as
from engine.errors import InputError
from engine.limits import check_requested_size
from engine.request import SEAMS_BLENDED, Request, suggests_blend_seams, summarise_notes

MASK_FIRST = "Paint a mask first"  # the panel's line after a run refused for lack of one
SET_A_SIZE = "Set a new size or duration"  # an update that would give the input back
# The realism verdicts whose thresholds hold for a result judged alone, as the Done line
# names them and its tooltip says them (a patch ratio's flag needs the grid: Browse seeds).
ABSOLUTE_FLAGS = {
    "band_cut": ("band cut", "Flagged: likely a band of the scene cut (sky in the ground, a "
                             "floor gone)."),
    "seams": ("faint seams", "Flagged: likely faint seams, pale steps where regions copied from "
                             "differently lit parts of the input meet in a smooth area."),
}


PREPARING_TEXT = "Drawing the sketch's frames…"
READING_MASK_TEXT = "Reading the mask…"  # an inpainting's arrays, made on the run's worker
STROKE_POLL_MS = 100  # how often a run waiting for a held brush stroke looks again


class RunController(QObject):
    def __init__(self, session: SessionModel, sync: SettingsSync, panel: ControlPanel,
                 inpaint: InpaintController, runner: GenerationRunner, view: ViewController,
                 messages: Messages, guided: GuidedController,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session, self.sync, self.panel, self.inpaint = session, sync, panel, inpaint
        self.guided = guided
        self.runner, self.view, self.messages = runner, view, messages
        self.generated_once = False  # "Update on change" waits for a first Generate
        self._note = ""  # said in the status bar while a run reports back
        self._quiet = False  # a stop for something that takes the run's place (stop_quietly)
        self._refused = ""  # the status bar's line when a run was refused for lack of a mask
        # A run asked for while a brush stroke is held waits for its end: the layers it
        # would read are half painted, under the state the stroke had before it (its cache
        # key), so an Undo of the stroke brought back a result made with part of it.
        self._preparing_task = ""  # the task of the run started last (_on_preparing)
        self._after_stroke = QTimer(self, singleShot=True, interval=STROKE_POLL_MS)
        self._after_stroke.timeout.connect(self._generate_after_stroke)
        self._after_stroke_auto = True
        panel.generate_requested.connect(self.generate)
        panel.cancel_requested.connect(self.cancel)
        panel.choices_changed.connect(self._on_choices_changed)
        runner.preview.connect(view.show_result)
        runner.progress.connect(self._on_progress)
        runner.preparing.connect(self._on_preparing)
        runner.layers_changed.connect(self._on_layers_changed)
        runner.finished.connect(self._on_finished)
        runner.scored.connect(self._on_scored)
        runner.failed.connect(self._on_failed)
        runner.cancelled.connect(self._on_cancelled)
        runner.busy_changed.connect(panel.set_busy)
        session.clip_changed.connect(self._on_clip)
        inpaint.maskedFramesChanged.connect(lambda masked: self._found_mask())
        panel.task_changed.connect(self._left_inpaint)

    # -- the run's input -------------------------------------------------------------------
    def request_for(self, settings: PanelSettings, in_out: tuple[int, int],
                    arrays: bool = True) -> Request:
        """The request of the panel's settings. arrays=False: one to compare with (requests
        compare equal whatever their masks and guides), without making them."""
        if settings.task in GUIDED_TASKS:
            guide = self.guided.guide_for(settings, in_out, stand_in=not arrays)
            return build_request(settings.choices(), guide=guide)
        if settings.task != "inpaint" or not arrays:
            return build_request(settings.choices())
        mask, hints = self.inpaint.request_arrays(*in_out)
        return build_request(settings.choices(), mask, hints)

    def request_and_maker(self, settings: PanelSettings, in_out: tuple[int, int]
                          ) -> tuple[Request, Callable[..., Request] | None]:
        """The request of the panel's settings, and what completes it on the run's worker
        (None: nothing to): a sketch's frames (seconds on a long Full-HD clip) and an
        inpainting's mask and hint arrays (up to 1.3 s for 64 Full-HD frames painted
        across) are made there, not on the GUI thread."""
        if settings.task == "sketch":
            return (self.request_for(settings, in_out, arrays=False),
                    self.guided.sketch.frames_maker(*in_out))
        if settings.task == "inpaint":
            return self.request_for(settings, in_out, arrays=False), self.inpaint.arrays_maker(*in_out)
        return self.request_for(settings, in_out), None

    def selection_for(self, settings: PanelSettings, in_out: tuple[int, int]) -> Selection:
        """The in/out range; for inpaint and the guided tasks its token also names the mask
        or the layout (results are cached by token and request, and requests compare equal
        whatever their masks and guides)."""
        selection = self.session.clip.selection(*in_out)
        token = self.session.layers_token(settings, in_out)
        if settings.task == "analogy" and self.session.motion is not None:
            # It moves as clip A does, frame for frame: it plays at A's rate.
            selection = replace(selection, out_fps=self.session.motion.clip.fps)
        return replace(selection, token=(*selection.token, *token)) if token else selection

    def current_request(self) -> Request:
        return self.request_for(self.sync.commit(), self._in_out())

    def current_selection(self) -> Selection:
        return self.selection_for(self.sync.commit(), self._in_out())

    def _in_out(self) -> tuple[int, int]:
        return self.session.in_out.in_point, self.session.in_out.out_point

    # -- commands --------------------------------------------------------------------------
    def generate(self, auto: bool = False) -> None:
        """auto: an update on change (Update on change), not a press of Generate."""
        if self.session.clip is None:
            self.messages.no_clip()
            return
        if self.stroke_held():
            self._after_stroke_auto = auto and self._after_stroke_auto
            self._after_stroke.start()
            return
        self._after_stroke.stop()
        self._after_stroke_auto = True
        self._note = ""
        settings = self.sync.commit_typed()
        self.panel.settle()  # this run takes every choice: no auto-update of the same after it
        if settings.task == "inpaint" and not self.inpaint_ready(settings):
            return
        if not self.guided_ready(settings):
            return
        in_out = self._in_out()
        selection = self.selection_for(settings, in_out)
        request, prepare = self.request_and_maker(settings, in_out)
        self._preparing_task = settings.task  # what the run's first step says it prepares
        if not self.size_allowed(selection, request):
            return
        self.generated_once = True
        self.panel.set_progress(0, 1, "Starting…")
        self.runner.start(selection, request, prepare)

    def stroke_held(self) -> bool:
        return self.session.mask.stroking is not None or self.session.sketch.stroking is not None

    def _generate_after_stroke(self) -> None:
        if self.session.clip is None:
            return
        if self.stroke_held():
            self._after_stroke.start()
        else:
            auto, self._after_stroke_auto = self._after_stroke_auto, True
            if not auto or (self.panel.auto_update.isChecked() and self.generated_once):
                self.generate(auto=auto)

    def guided_ready(self, settings: PanelSettings) -> bool:
        """Analogy and sketch need their layout (clip A, a drawing: the status bar and the
        panel's line ask for it) and a usable look clip (a dialog if not)."""
        if settings.task not in GUIDED_TASKS:
            return True
        if self.guided.ready(settings, self.session.clip.selection(*self._in_out())):
            self._note = self.guided.note
            return True
        # What is missing goes on the panel's line; a clip that cannot be used has its
        # dialog, and the line stays as it was ("Not started" over the result on screen
        # said nothing true); a run of the earlier settings keeps its progress line.
        if self.guided.missing and not self.runner.busy:
            self.panel.set_progress(0, 1, self.guided.missing)
        return False

    def _refusal_line(self, text: str) -> None:
        """Why a run was not started, on the panel's line, unless a run of the earlier
        settings is going on: its progress stays (the dialog and the status bar say it)."""
        if not self.runner.busy:
            self.panel.set_progress(0, 1, text)

    def size_allowed(self, selection: Selection, request: Request) -> bool:
        """Refuse, before any work and with a dialog, an output over engine.limits (sizes,
        frames, memory free now)."""
        shape = selection.frames.shape[:3]
        src, out = engine_shapes(request, shape)
        try:
            check_requested_size(*out)  # the caps on sizes; memory is said in the editor's terms
            problem = memory_advice.advice(request, shape, request.task)
        except InputError as exc:
            problem = editor_text(str(exc)) + "."
        if problem is None:
            return True
        self._refusal_line("Too large")
        self.messages.error("Output too large", problem)
        return False

    def use_favourite(self, favourite: Favourite) -> None:
        """One click: a favourite's settings, range and seed become current, and it runs
        (from the cache when it was made in this session, else the engine remakes it)."""
        clip = self.session.clip
        if clip is None:
            return
        first, last = favourite.in_out
        if last >= clip.length:  # starred on a longer version of the clip (a project's source
            # replaced since): its range is not here, and a clamped one would be another video
            self.messages.error(
                "Favourite not available",
                f"Seed {favourite.seed} was made on frames {first + 1}–{last + 1} of a longer "
                f"version of this clip, which has {clip.length} frames. It is kept in the "
                "project; open the longer clip to make it again.")
            return
        self.session.in_out.set_range(first, last)  # first: the duration follows it
        settings, note = favourite.settings.taken_over(self.session.settings), ""
        named = favourite.settings.motion_path if favourite.settings.task == "analogy" else ""
        if named and not os.path.exists(named) and self.session.motion is not None:
            # Its clip A was moved or deleted: the open one stays the panel's (and the
            # project's), rather than a path that cannot be read.
            settings = settings.with_(motion_path=str(self.session.motion.path))
            note = (f"seed {favourite.seed}'s clip A {Path(named).name} is no longer at "
                    f"{Path(named).parent}: made with the clip A that is open")
        self.session.set_settings(settings)
        if named:
            self.guided.read_named(named)
        if named and self.guided.loading:  # it waits for clip A
            self.guided.after_load(lambda: self._run_favourite(favourite, note))
            return
        self._run_favourite(favourite, note)

    def _run_favourite(self, favourite: Favourite, note: str = "") -> None:
        selection = self.current_selection()
        if not favourite.made_with(selection.token[3:]):
            # Starred with a mask, sketch or clip A that has changed since: its own video,
            # while the cache holds it; else the current layers make another one.
            own = replace(selection, token=(*selection.token[:3], *favourite.layers))
            # Compared without its arrays (requests compare equal whatever their masks and
            # guides): making the sketch here held the GUI thread 0.2-1.8 s.
            request = self.request_for(self.sync.commit(), self._in_out(), arrays=False)
            clip = self.runner.cache.find(made_as(own.token, request))
            if clip is not None:
                self.stop_quietly()
                self.view.show_result(clip)
                self.show_done(clip)
                self.messages.status(f"Seed {favourite.seed} as it was starred (with an "
                                     "earlier mask, sketch or clip A)", 8000)
                return
            self.generate()
            self._note = "; ".join(filter(None, [  # said beside the run's progress
                self._note, note or f"seed {favourite.seed} was starred with an earlier mask, "
                "sketch or clip A: made anew with the current one"]))
            return
        self.generate()
        self._note = "; ".join(filter(None, [self._note, note]))

    def cancel(self) -> None:
        if self.runner.busy:
            self.runner.cancel()

    def inpaint_ready(self, settings: PanelSettings) -> bool:
        """An inpaint run needs a mask in the in/out range: say so instead of running."""
        first, last = self._in_out()
        if not self.inpaint.frames_with_mask(first, last):
            text = ("The mask is empty: paint over what to fill on the Source view."
                    if not self.inpaint.has_mask() else
                    f"No mask in the in/out range (frames {first + 1}–{last + 1}; it is on "
                    "other frames): paint over what to fill there, or move the range.")
            self._refusal_line(MASK_FIRST)
            self.messages.status(text, 10000)
            self._refused = text
            return False
        clip, quality = self.session.clip, settings.quality
        if downscales(quality, clip.width, clip.height):
            # No parentheses: the "Result ready" line puts its notes in some.
            self._note = (f"inpainting at full size {clip.width}×{clip.height}: "
                          f"{quality.title()} does not shrink masked clips, so this can take "
                          "a while")
        return True

    def _found_mask(self) -> None:
        """A mask painted after a run was refused for lack of one: the panel stops asking
        for it (it kept "Paint a mask first" over the painted frames)."""
        if self.panel.status.text() == MASK_FIRST and self.inpaint.frames_with_mask(
                *self._in_out()):
            self._take_back_mask_request()

    def _left_inpaint(self, task: str) -> None:
        """Another task chosen after a run was refused for lack of a mask: the panel's
        "Paint a mask first" stayed under the bar of a task that paints none."""
        if task != "inpaint":
            self._take_back_mask_request()

    def _take_back_mask_request(self) -> None:
        if self.panel.status.text() == MASK_FIRST:
            self.panel.set_progress(0, 1, "Ready")
            self.messages.withdraw(self._refused)

    def _on_choices_changed(self) -> None:
        if self.panel.auto_update.isChecked() and self.generated_once and self.session.clip:
            if self._retarget_is_the_input():
                # Choosing Retarget started a run at the clip's own size, duration and
                # Variation 0, whose result is the input itself (13 s of CPU in an audit).
                self._refusal_line(SET_A_SIZE)
                return
            self.generate(auto=True)

    def _retarget_is_the_input(self) -> bool:
        """The panel asks for a retarget that gives the in/out range back unchanged."""
        panel = self.panel
        return (panel.current_task() == "retarget" and not panel.current_page().noise_value()
                and panel.output.values() == panel.output.source_size())

    def stop_quietly(self) -> None:
        """Stop a run because something else takes its place (a new clip, a tile's Use):
        no earlier result is brought back and nothing is said."""
        self._quiet = True
        try:
            self.runner.cancel()
        finally:
            self._quiet = False

    def _on_clip(self, clip) -> None:
        self.stop_quietly()
        self.generated_once = False
        self.panel.set_progress(0, 1, "Ready")  # the last clip's run says nothing of this one

    # -- reports from the run --------------------------------------------------------------
    @Slot(int, int)
    def _on_preparing(self, made: int, total: int) -> None:
        """The run's input is made before the first level: a sketch's frames (up to 20 s
        for 64 Full-HD frames, which said "Starting…" throughout; the bar counts the frames
        slid between key frames) or an inpainting's mask arrays."""
        if self._preparing_task == "inpaint":
            text = READING_MASK_TEXT
        else:
            text = PREPARING_TEXT + (f" {made} of {total}" if total else "")
        self.panel.set_progress(made, max(total, 1), text)
        self.messages.status(f"{text} (Esc cancels)")

    @Slot()
    def _on_layers_changed(self) -> None:
        """Painted on while the run read the mask (a stroke begun just after Generate): the
        run is made again from the mask as it is once the stroke ends."""
        self.panel.set_progress(0, 1, "Starting…")
        self.generate()

    @Slot(object)
    def _on_progress(self, p: RunProgress) -> None:
        status = f"Level {p.level} of {p.levels}"
        timing = f"{format_seconds(p.elapsed)} elapsed"
        if p.level < p.levels and p.remaining is not None:  # engine.eta: a model, not a clock
            timing += f" · about {format_estimate(p.remaining)} left"
        self.panel.set_progress(p.level, p.levels, status, timing)
        self.panel.timing.setToolTip("")
        note = f" · {self._note}" if self._note else ""
        self.messages.status(f"{status} · {timing} · {p.device}{note}")

    @Slot(object)
    def _on_finished(self, clip: ResultClip) -> None:
        self.show_done(clip)
        notes = summarise_notes([*clip.notes, self._note] if self._note else list(clip.notes))
        notes_text = f" ({'; '.join(notes)})" if notes else ""
        self.messages.status(f"Result ready in {format_seconds(clip.elapsed)}{notes_text}",
                             10000)

    @Slot(object)
    def _on_scored(self, clip: ResultClip) -> None:
        self.view.scored(clip)
        # Its figures join its Done line, if that is still what the panel says: a score
        # arriving after a task switch put "Done: …" back over "Draw a sketch first".
        if (self.view.result is clip and not self.runner.running
                and self.panel.status.text().startswith("Done:")):
            self.show_done(clip)

    def show_done(self, clip: ResultClip) -> None:
        """The Done line for the result shown: its size and time, and once it is scored its
        realism (judged alone) and how new it looks (also for a seed browser tile's Use)."""
        w, h = clip.size
        timing = f"{format_seconds(clip.elapsed)} on {clip.device}"
        r, tip = clip.realism, ""
        if r is not None:
            new = "" if r.new is None else f" · {100 * r.new:.0f}% new"
            # "alone": a seed browser's tile shows the same video judged among its grid,
            # another number (an audit read the two as one score that disagreed).
            timing += f" · realism {r.score:.0f} alone{new}"
            # The flags whose thresholds hold alone (a patch ratio's does not: Browse seeds).
            kind = "band_cut" if r.band_cut else "seams" if r.seamy else None
            flag = ABSOLUTE_FLAGS.get(kind)
            if flag is not None:
                timing += " · " + f"⚠ {flag[0]}".replace(" ", "\u00a0")  # wrapped whole
            tip = (f"Realism {r.score:.0f}/100: how much the least realistic 5% of the result, "
                   "seen at object scale, looks like the input, judged alone (Browse seeds "
                   "judges a grid of variations among itself, which fits every clip better).")
            if flag is not None:
                tip += " " + flag[1]
                if kind == "seams" and suggests_blend_seams(clip.request):
                    tip += " " + SEAMS_HINT.rstrip()
            if r.new is not None:
                tip += (f" {100 * r.new:.0f}% new: the share of its detail that differs from the "
                        "input where it stands (0% is the input again).")
        if SEAMS_BLENDED in clip.notes:  # Blend seams' default blended this one: known at once
            if r is None or not (r.band_cut or r.seamy):  # (a flag on the line says more)
                timing += " · seams\u00a0blended"
            tip = (tip + " " if tip else "") + SEAMS_BLENDED_TIP
        self.panel.set_progress(clip.levels, clip.levels, f"Done: {w}×{h}, {frames_text(len(clip.frames))}",
                                timing)
        self.panel.timing.setToolTip(tip)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.panel.set_progress(0, 1, "Failed")
        self._restore_finished()
        self.messages.error("Generation failed", editor_text(message))

    @Slot()
    def _on_cancelled(self) -> None:
        self.panel.set_progress(0, 1, "Cancelled")
        if self._quiet:
            return
        clip = self._restore_finished()
        self.messages.status("Generation cancelled." if clip is None else
                             f"Generation cancelled; the previous result (seed {clip.seed}) "
                             "is shown again.", 8000)

    def _restore_finished(self) -> ResultClip | None:
        """The last finished result in place of the stopped run's preview, with its Done
        line (the status bar says the run stopped)."""
        clip = self.view.restore_finished()
        if clip is None and self.view.result is not None and self.view.result.final:
            clip = self.view.result  # stopped before its first preview: still on screen
        if clip is not None:
            self.show_done(clip)
        return clip
