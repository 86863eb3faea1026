"""Sketch-to-video: the layout of a drawing (the request's `guide`), the look of clip B.

The drawing's structure replaces a clip's flow (`engine.structure.sketch_structure`): ink
stands for motion, paper for stillness; a sketch of a few flat colours gives one level per
tone, darker = faster. The rest is the analogy task (`engine.tasks.analogy`). A single
image is held still for the output's duration (B's, unless the request sets `frames`).
Defaults follow the supplementary's sketch settings (section 1.3): factor 0.78, coarsest 5
frames and 35 px, 3 EM iterations per level and 1 on the two finest (completeness off, as
for analogies). One choice of ours: a drawing is the only source of the layout and has no look
of its own to agree with B's, so it steers every level (analogies: half the pyramid). With
half, the sheep drift off the strokes of sketch_digit3 and the 9 is hard to read. Another:
a drawing that moves keeps as many frames at the coarse levels as its motion needs
(MAX_COARSE_STEP); the supplementary's 5 frames suit a drawing that stays in place.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from engine.config import Settings
from engine.errors import InputError
from engine.structure import Structure, ink_speed, sketch_structure
from engine.tasks.analogy import Analogy
from engine.tasks.base import LevelSetup, TaskContext

SKETCH_SETTINGS = dict(patch_size=(3, 5, 5), spatial_factor=0.78, temporal_factor=0.78,
                       min_side=35, min_frames=5, em_iters=3, completeness_alpha=None,
                       descriptor_dims=16)  # as the analogy's (engine/tasks/analogy.py)
CHEAP_FINEST = 2  # the finest levels that run one EM iteration "to save runtime"
# How far a drawing may move per frame of the coarsest level, in that level's pixels. The
# coarse levels shrink time as well as space: a disc sliding 15 px a frame across a 13-frame
# sketch, shrunk to 5 frames, became one smear over its whole path, and the result a still
# band of B's moving texture along it, not a moving shape (an audit). A patch spans 3
# frames: at 1 px a frame the drawing moves under half a 5-px patch's width within one.
MAX_COARSE_STEP = 1.0


class Sketch(Analogy):
    name = "sketch"
    task_defaults = SKETCH_SETTINGS
    what_guide = "the sketch"
    default_guide_until = 1.0

    def validate(self, source: np.ndarray) -> None:
        super().validate(source)
        self._source_shape = tuple(source.shape[:3])

    def adjust(self, settings: Settings) -> Settings:
        """The task's settings, with as many frames kept at the coarse levels as the
        drawing's motion needs (MAX_COARSE_STEP); a drawing held still changes nothing."""
        s = super().adjust(settings)
        guide, source = self.request.guide, getattr(self, "_source_shape", None)
        if guide is None or source is None or guide.shape[0] < 2 or source[0] <= s.min_frames:
            return s  # (no source known: validate() was not called)
        t, h, w = source
        speed = ink_speed(guide)  # the sketch's pixels per frame
        _, oh, _ = self.output_shape(self._source_shape, 1.0)
        # The coarsest level shrinks space to min_side / min(h, w) of B's (the output by as
        # much), and time by min_frames / t.
        step = speed * (oh / guide.shape[1]) * s.min_side / min(h, w)
        frames = min(t, math.ceil(t * step / MAX_COARSE_STEP))
        if frames <= s.min_frames:
            return s
        return s.with_(min_frames=frames)

    def validate_guide(self, guide: np.ndarray) -> None:
        # Raises for a sketch with nothing drawn on it, before any work.
        sketch_structure(guide[:: max(1, guide.shape[0] // 8)], what=self.what_guide)
        if self.request.frames is not None and guide.shape[0] > 1 \
                and self.request.frames != guide.shape[0]:
            raise InputError(f"the sketch has {guide.shape[0]} frames but {self.request.frames} "
                             "were asked for: leave the frame count unset (or use one image)")

    def guide_frames(self, look_frames: int) -> int:
        t = int(self.request.guide.shape[0])  # type: ignore[union-attr]
        return t if t > 1 else look_frames

    def guide_structure(self, ctx: TaskContext, frames_out: int) -> Structure:
        return sketch_structure(self.request.guide, seed=self.request.seed,  # type: ignore[arg-type]
                                frames_out=frames_out, what=self.what_guide)

    def setups(self, ctx: TaskContext) -> list[LevelSetup | None]:
        # The driver reads ctx.levels after this call: the two finest run one EM iteration.
        n = len(ctx.levels)
        ctx.levels[:] = [lv if i < n - CHEAP_FINEST else replace(lv, em_iters=min(lv.em_iters, 1))
                         for i, lv in enumerate(ctx.levels)]
        return super().setups(ctx)
