"""Video analogies: the motion layout of clip A (the request's `guide`), the look of clip B
(the source the run is given).

Each clip's dynamic structure (`engine.structure`: flow magnitude in k-means levels) joins
the search as a guide channel (paper, section 4):

    level             Q                      K                      V
    coarsest          dyn(A)                 dyn(B)                 B
    guided levels     dyn(A) | upscaled out  dyn(B) | upscaled B    B
    the rest          upscaled out           upscaled B             B

The guide steers the coarsest `guide_until` of the pyramid (the supplementary: half its
height); above it B's look takes over. The output follows A's size and duration unless the
request sets them. Defaults follow the supplementary's analogy settings (section 1.3).
"""

from __future__ import annotations

import math
from dataclasses import fields

import numpy as np
import torch

from engine.colour import to_frames
from engine.config import Settings, Shape3
from engine.errors import InputError
from engine.look_clip import look_clip_problems
from engine.pyramid import resize
from engine.structure import Structure, check_levels, clip_structure
from engine.tasks.base import LevelSetup, Task, TaskContext

# Supplementary 1.3 ("all-pairs" analogies): 3x5x5 patches, factor 0.9 in every dimension,
# coarsest 3 frames and 20 px, one EM iteration per level. Completeness weighting is off,
# unlike the supplementary's alpha = 1: it pulls every patch of B into the output whatever
# A's layout asks for (B's moving patches into A's still areas), so it fights the guide.
# Measured on lava/waterfall (both ways): motion-map correlation 0.82 -> 0.91 and 0.92 ->
# 0.94, coherence against B 0.0161 -> 0.0154 and 0.0236 -> 0.0195, about 25% faster; the
# sketch's strokes come out cleaner too.
# Descriptors of 16 PCA dimensions: 8 (tried for a third less CPU) matched patches coarsely
# enough to smear B's texture into flat washes that the patch scores do not see. Measured
# at seed 0, 8 -> 16 dimensions (docs/quality_notes.md 61): flat 8x8 blocks 6.4% -> 2.6%
# (waterfall's layout, lava's look) and 38.8% -> 35.7% (the other way), coherence against
# B 0.0197 -> 0.0185 and 0.0134 -> 0.0120, for 5-8% more time; 48 dimensions sharpen a
# little more for 60% more time.
ANALOGY_SETTINGS = dict(patch_size=(3, 5, 5), spatial_factor=0.9, temporal_factor=0.9,
                        min_side=20, min_frames=3, em_iters=1, completeness_alpha=None,
                        descriptor_dims=16)


def with_task_defaults(settings: Settings, defaults: dict[str, object]) -> Settings:
    """The task's defaults wherever `settings` still holds the generic default: a setting
    the user changed is kept."""
    generic = Settings()
    names = {f.name for f in fields(Settings)}
    changes = {k: v for k, v in defaults.items()
               if k in names and getattr(settings, k) == getattr(generic, k)}
    return settings.with_(**changes)


def guided_count(levels: int, guide_until: float) -> int:
    """How many levels, from the coarsest, the structure steers (the authors: levels below
    int((levels - 1) * fraction)); at least the coarsest unless the fraction is 0."""
    if guide_until <= 0:
        return 0
    return min(levels, max(1, int((levels - 1) * guide_until) if guide_until < 1 else levels))


class Analogy(Task):
    name = "analogy"
    default_noise = 0.0
    warm_start = True
    task_defaults: dict[str, object] = ANALOGY_SETTINGS
    what_guide = "the motion clip (A)"
    # The structure channel weighs as much as the three colour channels together (colours
    # span [-1, 1], twice the structure's [0, 1]: 2 * sqrt(3)). With the authors' weight 1,
    # the layout of a moving object is lost: a square sliding left in A comes out nearly still.
    guide_weight = 2 * 3**0.5
    default_guide_until = 0.5  # the supplementary: half the pyramid height

    def validate(self, source: np.ndarray) -> None:
        r = self.request
        g = r.guide
        if g is None:
            raise InputError(f"{self.name} needs {self.what_guide}")
        if not isinstance(g, np.ndarray) or g.ndim != 4 or g.shape[-1] != 3 or g.dtype != np.uint8 \
                or min(g.shape[:3]) < 1:
            raise InputError(f"{self.what_guide} must be (T, H, W, 3) uint8 frames")
        self.validate_guide(g)
        check_levels(r.look_levels, "look levels (B)")
        g_until = r.guide_until
        if g_until is not None and not (isinstance(g_until, (int, float)) and math.isfinite(g_until)
                                        and 0 <= g_until <= 1):
            raise InputError(f"guide-until must be a fraction from 0 to 1, got {g_until}")
        errors, _ = look_clip_problems(source.shape[:3], self.output_shape(source.shape[:3], 1.0))
        if errors:
            raise InputError(errors[0])

    def validate_guide(self, guide: np.ndarray) -> None:
        check_levels(self.request.guide_levels, "motion levels (A)")
        if guide.shape[0] < 2:
            raise InputError(f"{self.what_guide} has one frame: a still image has no motion to "
                             "follow (use a clip, or the sketch task)")

    def guide_until(self) -> float:
        g = self.request.guide_until
        return self.default_guide_until if g is None else float(g)

    def adjust(self, settings: Settings) -> Settings:
        return with_task_defaults(settings, self.task_defaults)

    def guide_frames(self, look_frames: int) -> int:
        return int(self.request.guide.shape[0])  # type: ignore[union-attr]

    def output_shape(self, source: Shape3, scale: float) -> Shape3:
        """A's size and duration (scaled like the source), or what the request sets."""
        r = self.request
        assert r.guide is not None
        _, gh, gw = r.guide.shape[:3]
        oh = max(1, round((r.height or gh) * scale))
        ow = max(1, round((r.width or gw) * scale))
        return (r.frames or self.guide_frames(source[0]), oh, ow)

    # -- structures --------------------------------------------------------------------

    def guide_structure(self, ctx: TaskContext, frames_out: int) -> Structure:
        r = self.request
        return clip_structure(r.guide, r.guide_levels, seed=r.seed, what=self.what_guide,  # type: ignore[arg-type]
                              cancel=ctx.cancel)

    def look_structure(self, ctx: TaskContext) -> Structure:
        r = self.request
        frames = to_frames(ctx.pyramid.video)
        return clip_structure(frames, r.look_levels, seed=r.seed, what="the look clip (B)",
                              still="the look clip (B) has one frame: a still image has no "
                              "motion to copy (use a clip that moves)",
                              cancel=ctx.cancel)

    def setups(self, ctx: TaskContext) -> list[LevelSetup | None]:
        levels = ctx.levels
        n_guided = guided_count(len(levels), self.guide_until())
        out: list[LevelSetup | None] = [LevelSetup() for _ in levels]
        if n_guided == 0:  # said: else the result is the look clip's own, with no word why
            ctx.notes.append(f"{self.what_guide.split(' (')[0]} steers no level (follow up to 0): "
                             "the result keeps the look clip's own layout")
            return out
        finest = levels[-1]
        guide = self.guide_structure(ctx, finest.output[0])
        look = self.look_structure(ctx)
        dev = ctx.device
        w = self.guide_weight
        q_full = resize(torch.from_numpy(guide.values * w)[None].to(dev), finest.output,
                        budgets=ctx.budgets, cancel=ctx.cancel)
        k_full = resize(torch.from_numpy(look.values * w)[None].to(dev), finest.source,
                        budgets=ctx.budgets, cancel=ctx.cancel)
        for n in range(n_guided):
            lv = levels[n]
            out[n] = LevelSetup(
                query_guide=resize(q_full, lv.output, budgets=ctx.budgets, cancel=ctx.cancel),
                key_guide=resize(k_full, lv.source, budgets=ctx.budgets, cancel=ctx.cancel),
                # The coarsest level compares the two clips by their structure alone.
                colour_weight=0.0 if n == 0 else 1.0,
            )
        # No parentheses: the editor's "Result ready" line puts its notes in some.
        ctx.notes.append(f"{self.what_guide.split(' (')[0]} steers {n_guided} of {len(levels)} levels, "
                         f"with {guide.levels} speed levels against the look clip's {look.levels}")
        return out
