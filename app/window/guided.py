"""Analogy and Sketch in the window: the motion clip (A) and its slot, the structure overlays
of both clips (computed on workers by the engine), whether Generate can run, and the layout a
run is given (clip A, or the sketch of the in/out range).

The look clip (B) is the open clip: its in/out range and sound make the result, as for every
other task; the result plays at clip A's frame rate (it moves as A does, frame for frame).
The Look slot's Open… and drop open another clip.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QSettings, Slot
from PySide6.QtWidgets import QFileDialog

from app.inpaint import mask_io
from app.sketch.controller import SketchController
from app.state.media import (
    MEDIA_PATTERNS,
    Selection,
    Source,
    frames_text,
    project_not_clip,
    read_source,
)
from app.state.project_file import SUFFIX
from app.state.request_builder import GUIDED_TASKS
from app.state.session import SessionModel
from app.state.settings import PanelSettings
from app.widgets.clip_slot import ClipSlot
from app.widgets.control_panel import ControlPanel
from app.window.messages import NO_CLIP, Messages
from app.workers import jobs

NO_MOTION_CLIP = ("Choose the clip whose motion the result follows: Open… in “Motion from "
                  "(A)”, or drop a clip there.")
MOTION_OPENING = "Clip A is still opening: Generate once it is read."
OPENING_CLIP = "Opening the clip…"  # the first clip being read: Generate waits for it
NOTHING_DRAWN = ("Nothing is drawn: draw where the result should move on the Source view (or "
                 "Sketch: Import…).")
# A one-frame clip in each slot: a sketch can stand in for clip A's motion, not for the look.
STILL = {"motion": "this clip has one frame: a still image has no motion to follow; choose a "
                   "clip A that moves, or draw the motion in the Sketch task",
         "look": "this clip has one frame: a still image has no motion to copy; choose a "
                 "look clip that moves (a video or a folder of numbered images)"}
OPEN_FILTER = f"Videos and images ({MEDIA_PATTERNS});;All files (*)"
# engine.tasks.analogy's remedy for a look clip shorter than the output (the command line's
# --frames), and the editor's, where the output is as long as clip A.
SHORTEN_OUTPUT, SHORTER_CLIP_A = "(or shorten the output)", "(or choose a shorter clip A)"


def _describe(source: Source) -> str:
    return f"{source.name} — {source.width}×{source.height} · {frames_text(source.length)}"


class GuidedController(QObject):
    def __init__(self, session: SessionModel, panel: ControlPanel, sketch: SketchController,
                 messages: Messages, settings: QSettings, open_look: Callable[[str], None],
                 choose_look: Callable[[], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session, self.panel, self.sketch, self.messages = session, panel, sketch, messages
        self.settings = settings
        self.page = panel.page_for("analogy")
        self._loader: jobs.Job | None = None
        self._after_load: Callable[[], None] | None = None  # a run waiting for clip A
        self._loading = ""  # the path being read
        self._named_missing = ""  # a clip A named (a project's) and not found: still named
        self._overlay_jobs: dict[str, jobs.Job | None] = {"motion": None, "look": None}
        self._stale = {"motion": True, "look": True}
        # The levels the overlays are (to be) measured with: a project's may differ.
        self._overlay_levels = (self.page.guide_levels.value(), self.page.look_levels.value())
        self.note = ""  # what the last ready() check noted (a short look clip), for the run
        self.missing = ""  # what ready() found missing, in a few words (the panel's line)
        self._missing_said = ""  # ... in full (the status bar's line)
        self._missing_for = ""  # the task that needs it
        self._motion_problem = ""  # why clip A's overlay could not be made (no motion)
        self._opening = ""  # the status bar's line while clip A is read
        self._clip_reading = False  # the open clip (B) is being read
        self._motion_said = ""  # what the slot says of the clip A open (its overlay's line)
        self._look_problem = ""  # the same for the look clip (its in/out range)
        self.page.motion_slot.open_requested.connect(self.choose_motion)
        self.page.motion_slot.file_dropped.connect(self.load_motion)
        self.page.look_slot.open_requested.connect(choose_look)
        self.page.look_slot.file_dropped.connect(open_look)
        for slot in (self.page.motion_slot, self.page.look_slot):
            slot.files_ignored.connect(lambda text: messages.status(text, 15000))
        self.page.levels_changed.connect(self._levels_changed)
        panel.task_changed.connect(self._on_task)
        session.motion_changed.connect(self._on_motion)
        session.clip_changed.connect(self._on_clip)
        session.settings_changed.connect(self._on_settings)
        session.in_out.changed.connect(lambda first, last: self._invalidate("look"))
        sketch.failed.connect(messages.error)
        sketch.drawnFramesChanged.connect(lambda drawn: self._found_missing("sketch"))
        self._update_ready()

    @property
    def slots(self) -> dict[str, ClipSlot]:
        return {"motion": self.page.motion_slot, "look": self.page.look_slot}

    # -- the motion clip -------------------------------------------------------------------
    def choose_motion(self) -> None:
        """Open… in the slot: the dialog starts in clip A's folder, else the open clip's
        (as Sketch: Import… does), else where File ▸ Open last looked."""
        near = self.session.motion or self.session.clip
        folder = near.path.parent if near is not None and near.path else None
        start = str(folder) if folder is not None and folder.is_dir() else \
            self.settings.value("openDir", str(Path.home()))
        path, _ = QFileDialog.getOpenFileName(self.panel, "Motion from: choose clip A",
                                              str(start), OPEN_FILTER)
        if path:
            self.load_motion(path)

    def load_motion(self, path: str | Path) -> None:
        """Read clip A on a worker; it becomes the session's motion clip. A frame of a
        numbered sequence stands for its folder (a still has no motion to follow)."""
        if Path(path).suffix.lower() == SUFFIX:  # the engine's message names the command line
            self.messages.error("Cannot use a project as clip A", project_not_clip(
                path, "“Motion from (A)” takes a video or a folder of numbered images."))
            return
        path = str(mask_io.import_target(path))
        job = jobs.Job(lambda job: read_source(path, job.is_cancelled), name="open motion clip")
        job.succeeded.connect(self._on_motion_loaded)
        job.failed.connect(self._on_motion_failed)
        if self._loader is not None:
            self._loader.cancel()
        self._loader, self._loading = job, path
        self.page.motion_slot.set_status(f"Opening {Path(path).name}…")
        # Over what the status bar said of the clip A before (that it does not move, 15 s).
        self._opening = f"Opening {Path(path).name} as clip A…"
        self.messages.status(self._opening, 10000)
        self._update_ready()
        jobs.start(job)

    @property
    def loading(self) -> bool:
        return self._loader is not None

    @Slot(object, object)
    def _on_motion_loaded(self, job: jobs.Job, source: Source) -> None:
        if job is self._loader:
            self._loader = None
            self.messages.withdraw(self._opening)
            self.session.set_motion(source)
            run, self._after_load = self._after_load, None
            if run is not None:
                run()

    @Slot(object, str)
    def _on_motion_failed(self, job: jobs.Job, message: str) -> None:
        if job is self._loader:
            self._loader = None
            self._after_load = None
            # The slot says again what it said of the clip A that stays (its levels, or
            # that it is still).
            self.page.motion_slot.set_status(self._motion_said)
            self._update_ready()
            self.messages.error("Cannot open the motion clip", message)

    def _on_motion(self, source: Source | None) -> None:
        # A clip A named but not found (a project's) stays the path the panel names.
        kept, self._named_missing = self._named_missing, ""
        path = str(source.path) if source is not None and source.path else kept
        if path != self.page.motion_path:
            self.page.motion_path = path
            self.panel.edited.emit()  # the session takes the panel's settings, with the path
        self.page.motion_slot.set_clip_text(_describe(source) if source is not None else None)
        self._motion_problem = self._motion_said = ""
        self.page.motion_slot.set_status("")  # not "Opening…" (measured once the page shows)
        self._found_missing("analogy")
        self._invalidate("motion")
        self._update_ready()

    def _on_settings(self, settings: PanelSettings) -> None:
        """A project (or a favourite) names a motion clip that is not the one open: read it;
        names none: the open one goes (it would be used, and then not saved). Its levels
        differ from the overlays': measure them again."""
        if (settings.guide_levels, settings.look_levels) != self._overlay_levels:
            self._levels_changed((settings.guide_levels, settings.look_levels))
        path, motion = settings.motion_path, self.session.motion
        if not path:
            if motion is not None and self._loader is None:
                self.session.set_motion(None)
            return
        if (motion is not None and str(motion.path) == path) or self._loader is not None:
            return
        if not os.path.exists(path):  # (False, not an exception, for a folder one may not enter)
            # Moved with its project (a folder copied to another disk): beside the project,
            # as the source clip is looked for.
            project = self.session.project_path
            beside = Path(project).parent / Path(path).name if project is not None else None
            if beside is not None and os.path.exists(beside):
                path = str(beside)
        if os.path.exists(path):
            self.load_motion(path)
            return
        if motion is not None:
            # The clip A open is not the one named: a run would use it, though the project
            # names another (and saves that one). None is open now; the path stays named.
            self._named_missing = settings.motion_path
            self.session.set_motion(None)
        self.messages.status(f"The analogy's motion clip {Path(path).name} was not found; "
                             "choose it again in “Motion from (A)”.", 10000)

    def _on_clip(self, clip: Source | None) -> None:
        # A favourite waiting for its clip A was the last clip's: it must not run on this one.
        self._after_load = None
        self.page.look_slot.set_clip_text(_describe(clip) if clip is not None else None)
        self._invalidate("look")
        self._update_ready()

    # -- structure overlays ----------------------------------------------------------------
    def _levels_changed(self, levels: tuple[int, int] | None = None) -> None:
        """New levels (A's, B's; None: the page's): the overlay of the clip whose levels
        changed is measured again, not both (flow and k-means of the other clip would take
        the cores from a run)."""
        old = self._overlay_levels
        self._overlay_levels = levels or (self.page.guide_levels.value(),
                                          self.page.look_levels.value())
        for which, before, now in zip(("motion", "look"), old, self._overlay_levels, strict=True):
            if before != now:
                self._invalidate(which)

    def _invalidate(self, which: str) -> None:
        self._stale[which] = True
        if which == "look":
            self._look_problem = ""
        if self.panel.current_task() == "analogy":
            self._compute(which)

    def _frames_for(self, which: str) -> np.ndarray | None:
        if which == "motion":
            return self.session.motion.frames if self.session.motion is not None else None
        clip = self.session.clip
        if clip is None:
            return None
        return clip.selection(self.session.in_out.in_point, self.session.in_out.out_point).frames

    def _compute(self, which: str) -> None:
        """The tinted structure of a clip, on a worker (flow + k-means take a moment)."""
        old = self._overlay_jobs[which]
        if old is not None:
            old.cancel()
        self._overlay_jobs[which] = None
        self._stale[which] = False
        slot = self.slots[which]
        frames = self._frames_for(which)
        if frames is None:
            slot.set_overlay(None)
            if which == "motion":
                self._motion_said = ""
            return
        levels = self.page.guide_levels.value() if which == "motion" else self.page.look_levels.value()

        def work(job: jobs.Job):
            from engine.structure_overlay import clip_overlay

            return clip_overlay(frames, levels, cancel=job.is_cancelled, still=STILL[which])

        job = jobs.Job(work, name=f"{which} structure")
        job.succeeded.connect(self._on_overlay)
        job.failed.connect(self._on_overlay_failed)
        self._overlay_jobs[which] = job
        slot.set_status("Measuring the motion…")
        if which == "motion":
            self._motion_said = slot.status.text()
        jobs.start(job)

    def _which(self, job: jobs.Job) -> str | None:
        return next((k for k, j in self._overlay_jobs.items() if j is job), None)

    @Slot(object, object)
    def _on_overlay(self, job: jobs.Job, result) -> None:
        which = self._which(job)
        if which is None:
            return
        self._overlay_jobs[which] = None
        if which == "motion":
            self._motion_problem = ""
        else:
            self._look_problem = ""
        frames, levels = result
        self.slots[which].set_overlay(frames, f"Motion in {levels} levels (blue still → red "
                                      "fastest).")
        if which == "motion":
            self._motion_said = self.slots[which].status.text()

    @Slot(object, str)
    def _on_overlay_failed(self, job: jobs.Job, message: str) -> None:
        which = self._which(job)
        if which is None:
            return
        self._overlay_jobs[which] = None
        sentence = message[:1].upper() + message[1:] + "."
        self.slots[which].set_overlay(None, sentence)
        if which == "motion":  # Generate says it before any work (ready())
            self._motion_problem = self._motion_said = sentence
        else:
            self._look_problem = sentence

    def show_frame(self, frame: int, result_view: bool = False) -> None:
        """Keep the overlays on the moment the result shows: result frame i is made from
        clip A's frame i, and it plays at A's rate, so beside the look clip's frame n from
        its in point it shows A's frame n × A's fps / the look clip's (each slot loops).
        The playhead is the source's, or in the Result view the result's own."""
        if self.panel.current_task() != "analogy":
            return
        motion, clip = self.session.motion, self.session.clip
        rate = float(motion.clip.fps) / clip.fps if motion is not None and clip else 1.0
        if result_view:
            a_index, b_index = frame, int(frame / rate + 1e-6)
        else:
            b_index = frame - self.session.in_out.in_point
            a_index = int(b_index * rate + 1e-6)
        self.page.motion_slot.show_frame(a_index)
        self.page.look_slot.show_frame(b_index)

    # -- runs ------------------------------------------------------------------------------
    def _on_task(self, task: str) -> None:
        if self._missing_for and task != self._missing_for:
            self._found_missing(self._missing_for)  # asked for another task
        if task == "analogy":
            for which, stale in self._stale.items():
                if stale:
                    self._compute(which)
        self._update_ready()

    def clip_reading(self, reading: bool) -> None:
        """A clip is being read (ClipController): with none open yet, Generate waits for it."""
        self._clip_reading = reading
        self._update_ready()

    def _update_ready(self) -> None:
        if self.session.clip is None:  # (no sample clip, or the one asked for failed to open)
            self.panel.set_generate_ready(False, OPENING_CLIP if self._clip_reading else NO_CLIP)
        elif self.panel.current_task() != "analogy":
            self.panel.set_generate_ready(True, NO_MOTION_CLIP)
        elif self._loader is not None:  # a run now would use the clip A being replaced
            self.panel.set_generate_ready(False, MOTION_OPENING)
        else:
            self.panel.set_generate_ready(self.session.motion is not None, NO_MOTION_CLIP)

    def read_named(self, path: str) -> None:
        """Make the clip A at `path` the one open or being read (a favourite names it): a
        different one being read is replaced, not waited for."""
        motion = self.session.motion
        current = self._loading if self._loader is not None else str(motion.path) if motion else ""
        if path != current and os.path.exists(path):
            self.load_motion(path)

    def after_load(self, run: Callable[[], None]) -> None:
        """Call `run` once the clip A being read is the session's (not if it fails)."""
        self._after_load = run

    def guide_for(self, settings: PanelSettings, in_out: tuple[int, int],
                  stand_in: bool = False) -> np.ndarray | None:
        """The layout of a guided run (clip A's frames, or the sketch of the range).
        stand_in: an array of the layout's shape only, for a request to compare (requests
        compare equal whatever their guides) without making the sketch."""
        if settings.task == "analogy":
            motion = self.session.motion
            return None if motion is None else motion.frames
        if stand_in:
            h, w = self.session.clip.height, self.session.clip.width
            return np.broadcast_to(np.zeros((), np.uint8), (in_out[1] - in_out[0] + 1, h, w, 3))
        return self.sketch.sketch_frames(*in_out)

    def ready(self, settings: PanelSettings, selection: Selection) -> bool:
        """Whether a guided run can start; if not, say why (before any work). What is not
        there yet (clip A, a drawing) is said in the status bar and on the panel's line, as
        an empty inpainting mask is: a modal dialog for a step not taken yet is in the way.
        What is wrong with a clip gets a dialog."""
        from engine.look_clip import look_clip_problems

        first, last = selection.in_point, selection.in_point + selection.length - 1
        self.missing = self._missing_said = self._missing_for = ""
        if settings.task == "analogy":
            if self._loader is not None:
                self.messages.status(MOTION_OPENING, 6000)
                return False
            if self.session.motion is None:
                self._say_missing("analogy", NO_MOTION_CLIP, "Choose clip A first")
                return False
            if self._motion_problem:  # measured for its overlay already (a clip that is still)
                problem = self._motion_problem  # it may name the remedy itself
                self.messages.error("Clip A cannot steer the result", problem if "choose" in
                                    problem.lower() else problem + " Choose a clip A that moves.")
                return False
            if self._look_problem:  # a look clip that does not move: said before any work
                problem = self._look_problem  # it may name the remedy itself (a still)
                self.messages.error("The look clip cannot be used", problem if "look clip" in
                                    problem.lower() else problem + " Choose a look clip (or "
                                    "an in/out range) that moves.")
                return False
            output = tuple(self.session.motion.frames.shape[:3])
        else:
            if not self.sketch.drawn_frames(first, last):
                self._say_missing("sketch", NOTHING_DRAWN, "Draw a sketch first")
                return False
            output = tuple(selection.frames.shape[:3])
        errors, warnings = look_clip_problems(tuple(selection.frames.shape[:3]), output)
        if errors:
            self.messages.error("The look clip cannot be used",
                                f"The open clip ({selection.stem}, frames {first + 1}–{last + 1}): "
                                f"{errors[0]}. Widen the in/out range or open another clip.")
            return False
        # Said with the run's progress and in its "Result ready" line (RunController), not
        # in a status message the first progress report would replace at once. The panel
        # has no duration for an analogy: its output is as long as clip A.
        self.note = "; ".join(w.replace(SHORTEN_OUTPUT, SHORTER_CLIP_A) for w in warnings)
        return True

    def _found_missing(self, task: str) -> None:
        """Clip A chosen or a stroke drawn (for `task`), or another task chosen: the panel
        and the status bar no longer ask for it ("Draw a sketch first" stayed under
        Analogy's greyed Generate)."""
        if not self.missing or task != self._missing_for:
            return
        if self.panel.status.text() == self.missing:
            self.panel.set_progress(0, 1, "Ready")
        self.messages.withdraw(self._missing_said)
        self.missing = self._missing_said = self._missing_for = ""

    def _say_missing(self, task: str, text: str, short: str) -> None:
        """What a run of `task` lacks, in the status bar and (`missing`) the panel's line."""
        self.missing, self._missing_said, self._missing_for = short, text, task
        self.messages.status(text, 10000)

    @staticmethod
    def is_guided(task: str) -> bool:
        return task in GUIDED_TASKS
