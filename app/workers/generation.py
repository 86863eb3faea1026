"""Runs the engine for the main viewer: one Job per run, latest request wins.

Each pyramid level arrives as a ResultClip preview; signals of a run that has been
replaced or cancelled are ignored (every signal carries its job). A finished variation of
the source is then scored on the same worker (engine.realism, about 0.3 s at 144p) while
the editor is already free: `scored` brings the clip with its realism, which the cache
keeps, so the seed browser finds it scored.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot

from app.inpaint.mask_model import LayersChanged
from app.state.media import Selection
from app.state.request_builder import quality_of
from app.state.result_cache import ResultCache
from app.state.result_clip import ResultClip
from app.workers import jobs
from app.workers.eta import RatePriors
from engine import eta
from engine.request import SEAM_TASKS, SEAMS_BLENDED, LevelResult, Request
from engine.verdict import Realism

if TYPE_CHECKING:  # measuring needs PyTorch, loaded off the GUI thread
    from engine.realism import RealismScorer

SCORED_TASKS = ("generate", "retarget")  # variations of the source itself: realism applies


@dataclass(frozen=True)
class RunProgress:
    level: int
    levels: int
    elapsed: float  # seconds since Generate was pressed
    remaining: float | None  # estimate, seconds
    device: str
    primed: bool = False  # the estimate leans on earlier runs' rates (engine.eta)


def engine_levels(frames: np.ndarray, request: Request,
                  cancel: Callable[[], bool]) -> Iterator[LevelResult]:
    """The engine's per-level generator (imported here: it pulls in PyTorch)."""
    from engine.run import run

    return run(frames, request, cancel=cancel)


def score_result(scorer: RealismScorer, output: np.ndarray, request: Request,
                 cancel: Callable[[], bool] | None = None, seams: float | None = None) -> Realism:
    """A finished variation's realism, its output compared at the scale the engine made it
    (a Draft run works on a shrunk copy of the scorer's source); `seams`: the run's measure
    of its faint seams (LevelResult.seams)."""
    from engine.run import output_shape, working_shape

    source = scorer.full_shape  # the whole frame's, as the run saw it (bars and sides too)
    full = output_shape(source, request)[1:]
    return scorer(output, cancel, made_at=working_shape(source, request.settings, full)[1], seams=seams)


def _realism(source: np.ndarray, output: np.ndarray, cancel: Callable[[], bool],
             request: Request, seams: float | None) -> Realism:
    from engine.realism import RealismScorer

    return score_result(RealismScorer(source), output, request, cancel, seams)


# engine.limits names the command line's options; the editor's message leaves them out.
CLI_HINT = " (--width/--height, or --max-side for the input)"


def editor_text(message: str) -> str:
    """An engine message as the editor says it: without the command line's options, and as
    a sentence (the engine's lines follow "error: ", so they start in lower case)."""
    text = message.replace(CLI_HINT, "")
    first = text.split(" ", 1)[0]
    if first.isalpha() and first.islower():  # not a file's name ("clip.mp4: ...", "seq: ...")
        text = text[:1].upper() + text[1:]
    return text


def cache_key(selection: Selection, request: Request) -> Hashable:
    return (selection.token, request)


def made_as(token: tuple, request: Request) -> Callable[[Hashable], bool]:
    """Matches the cache key of a result made with the layers `token` names and the
    settings of `request`, at whatever size: an analogy's output takes its clip A's size,
    which the request made with the clip A open now need not have."""
    def sizeless(r: Request) -> Request:
        return replace(r, frames=None, height=None, width=None)

    want = sizeless(request)
    return lambda key: key[0] == token and sizeless(key[1]) == want


def to_result(level: LevelResult, request: Request, selection: Selection,
              realism: Realism | None = None) -> ResultClip:
    h, w = selection.frames.shape[1:3]
    return ResultClip(
        frames=level.frames, level=level.level, levels=level.levels, request=request,
        display_size=(request.width or w, request.height or h),
        nominal_frames=request.frames or selection.length,
        elapsed=level.elapsed, device=level.device, notes=tuple(level.notes), realism=realism,
        token=selection.token, fps=selection.output_fps, seams=level.seams,
    )


PREPARING = "preparing"  # reported as (PREPARING, made, total) while a run's prepare() works
LAYERS_CHANGED = "layers changed"  # reported when a run's prepare() found them painted on


class GenerationRunner(QObject):
    preview = Signal(object)  # ResultClip: every level as it arrives (and a cached final)
    finished = Signal(object)  # the final ResultClip
    scored = Signal(object)  # the final ResultClip again, with its realism (after finished)
    failed = Signal(str)
    cancelled = Signal()
    progress = Signal(object)  # RunProgress
    # The run's input is being made before its first level (a sketch's frames between its
    # key frames): (made, total), (0, 0) before the first is made.
    preparing = Signal(int, int)
    # The mask was painted on while the run's worker read it (after Generate): no result
    # comes; the window makes the run again from the layers as they are.
    layers_changed = Signal()
    busy_changed = Signal(bool)

    def __init__(self, cache: ResultCache, parent: QObject | None = None,
                 priors: RatePriors | None = None) -> None:
        super().__init__(parent)
        self.cache = cache
        self.priors = priors if priors is not None else RatePriors()
        self._job: jobs.Job | None = None
        self._scoring: tuple[jobs.Job, ResultClip, Selection] | None = None  # a finished run's score to come
        self._selection: Selection | None = None
        self._request: Request | None = None
        self._started = 0.0
        self.history: list[float] = []  # the run's clock at the end of each level so far
        self.plan: tuple[tuple[int, int], ...] = ()  # every level's (voxels, EM iterations)
        self.run_count = 0  # engine runs started (cache hits excluded)

    @property
    def busy(self) -> bool:
        return self._job is not None

    @property
    def running(self) -> tuple[tuple, Request] | None:
        """(selection token, request) of the run in progress, None when idle."""
        if self._job is None or self._selection is None or self._request is None:
            return None
        return self._selection.token, self._request

    @property
    def job(self) -> jobs.Job | None:
        return self._job

    def start(self, selection: Selection, request: Request,
              prepare: Callable[..., Request] | None = None) -> None:
        """Show the result of `request` on `selection`, from the cache or by running.
        prepare: what the run's worker does to the request first (make a sketch's frames,
        which takes seconds on a long clip, off the GUI thread)."""
        self._drop_current()
        self._selection, self._request = selection, request
        cached = self.cache.get(cache_key(selection, request))
        if cached is not None:
            self.preview.emit(cached)
            self.finished.emit(cached)
            self.busy_changed.emit(False)
            if cached.realism is not None:
                self.scored.emit(cached)
            elif request.task in SCORED_TASKS:  # its score never came: score it now
                self._score(cached, selection)
            return
        frames = selection.frames

        def work(job: jobs.Job) -> None:
            final = None
            run = request
            if prepare is not None:  # seconds for a long sketch: said, not "Starting…"
                job.report((PREPARING, 0, 0))
                try:
                    run = prepare(request, job.is_cancelled, jobs.counting(job, PREPARING))
                except LayersChanged:  # painted on while read: made again (layers_changed)
                    job.report((LAYERS_CHANGED,))
                    return
            for level in engine_levels(frames, run, job.is_cancelled):
                job.report(level)
                final = level if level.final else None
            if final is not None and request.task in SCORED_TASKS:
                job.report(_realism(frames, final.frames, job.is_cancelled, request, final.seams))

        job = jobs.Job(work, name=f"generate seed {request.seed}")
        job.progress.connect(self._on_level)
        job.failed.connect(self._on_failed)
        job.cancelled.connect(self._on_cancelled)
        job.done.connect(self._on_done)
        self._job = job
        self._started = time.perf_counter()
        self.history = []
        self.run_count += 1
        jobs.start(job)
        self.busy_changed.emit(True)

    def _score(self, clip: ResultClip, selection: Selection) -> None:
        """Score a finished clip on a worker (`scored` follows); the editor stays free."""
        frames = selection.frames

        def work(job: jobs.Job) -> None:
            job.report(_realism(frames, clip.frames, job.is_cancelled, clip.request, clip.seams))

        job = jobs.Job(work, name=f"score seed {clip.seed}")
        job.progress.connect(self._on_level)
        job.done.connect(self._on_done)
        self._scoring = (job, clip, selection)
        jobs.start(job)

    def cancel(self) -> None:
        """Stop the current run; the editor is ready at once (the thread ends shortly). A
        finished run's score still to come is dropped too: another result is being shown."""
        if self._job is not None:
            self._drop_current()
            self.cancelled.emit()
            self.busy_changed.emit(False)
        elif self._scoring is not None:
            self._drop_current()

    def _drop_current(self) -> None:
        if self._scoring is not None:
            self._scoring[0].cancel()
            self._scoring = None
        if self._job is not None:
            self._job.cancel()
            self._job = None

    @Slot(object, object)
    def _on_level(self, job: jobs.Job, level: LevelResult | Realism | tuple) -> None:
        if isinstance(level, tuple):  # (PREPARING, made, total) or (LAYERS_CHANGED,)
            if job is not self._job:
                return
            if level[0] == LAYERS_CHANGED:
                self._job = None
                self.busy_changed.emit(False)
                self.layers_changed.emit()
            else:
                self.preparing.emit(level[1], level[2])
            return
        if isinstance(level, Realism):
            if self._scoring is not None and job is self._scoring[0]:
                _, final, selection = self._scoring
                self._scoring = None
                clip = replace(final, realism=level)
                self.cache.put(cache_key(selection, clip.request), clip)
                self.scored.emit(clip)
            return
        if job is not self._job:
            return  # a stale run
        clip = to_result(level, self._request, self._selection)
        if self.history and level.level <= len(self.history):
            self.history = []  # started again (on the CPU after the GPU ran out of memory)
        self.history.append(level.elapsed)
        self.plan = level.plan
        quality = self._quality()
        prior = self.priors.get(level.device, quality)
        remaining = eta.remaining(level.plan, self.history, prior)
        if clip.final and len(self.history) == len(level.plan):  # a whole run: remember it
            # A seam blend's seconds are in its last level's (engine/seams.py), not that
            # level's search and vote: its rate is not learned from such a run.
            blended = (SEAMS_BLENDED in level.notes
                       or (self._request.settings.blend_seams == "on" and self._request.task in SEAM_TASKS))
            seen = self.history[:-1] if blended else self.history
            self.priors.learn(level.device, quality, eta.measure(level.plan, seen))
        waited = time.perf_counter() - self._started
        self.progress.emit(RunProgress(level.level, level.levels, waited, remaining,
                                       level.device, prior is not None))
        if clip.final:
            # The time the user waited, as the progress line counted it: the engine's own
            # clock starts once the worker runs (the Done line said 5.4 s after "Level 13 of
            # 13 · 6.3 s elapsed").
            clip = replace(clip, elapsed=waited)
        self.preview.emit(clip)
        if clip.final:
            self.cache.put(cache_key(self._selection, self._request), clip)
            # The result is out: the editor is free while the same worker scores it.
            self._job = None
            self._scoring = (job, clip, self._selection)
            self.finished.emit(clip)
            self.busy_changed.emit(False)

    def _quality(self) -> str:
        """The run's quality preset, the key of its remembered rates with the device."""
        return quality_of(self._request.settings) or "custom"

    @Slot(object, str)
    def _on_failed(self, job: jobs.Job, message: str) -> None:
        if job is self._job:
            self.failed.emit(message)

    @Slot(object)
    def _on_cancelled(self, job: jobs.Job) -> None:
        if job is self._job:  # cancelled from elsewhere (not through cancel())
            self.cancelled.emit()

    @Slot(object)
    def _on_done(self, job: jobs.Job) -> None:
        if self._scoring is not None and job is self._scoring[0]:
            self._scoring = None  # ended without a score (a task that is not scored)
        if job is self._job:
            self._job = None
            self.busy_changed.emit(False)
