"""Algorithm settings (paper + supplementary defaults) and the user-facing quality presets."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from engine.errors import InputError

Shape3 = tuple[int, int, int]  # (T, H, W)


VOTES = ("luma", "median", "mean")
# Settings.blend_seams: never, where the run's seam measure flags faint seams, or always.
BLEND_SEAMS = ("off", "auto", "on")
# Settings.coarse_completeness_alpha for "Keep subjects whole": 10 on the descriptors' scale
# left 5 of 45 ballet draws broken (14 at the default); 30 made near-copies of the 20 frames.
KEEP_WHOLE_ALPHA = 10.0
# A retarget or variation of another duration than its source keeps at least this many
# frames at its coarsest level (engine.tasks.base.Task.retimes): with 3, one temporal
# patch, the extra time of a longer output could only be a frozen moment.
RETIME_MIN_FRAMES = 12


@dataclass(frozen=True)
class Settings:
    """Every knob of the method; defaults are the supplementary's values."""

    patch_size: Shape3 = (3, 7, 7)  # (temporal, height, width)
    spatial_factor: float = 0.82
    temporal_factor: float = 0.87
    min_side: int = 15  # coarsest min(H, W)
    min_frames: int = 3  # coarsest T
    em_iters: int = 5
    # The coarsest level's EM iterations (None: em_iters). The authors' code runs 1 there;
    # measured here, 1 left diversity as it was (20-frame balloons 0.355 vs 0.352) and
    # broke more structure (air_balloons p95@0.5 0.062 vs 0.054), so the default is 5.
    coarsest_em_iters: int | None = None
    # Above this many voxels a level uses the cheaper settings below (supplementary 1.2).
    large_voxels: int = 3_000_000
    large_patch_size: Shape3 = (3, 5, 5)
    large_em_iters: int = 1
    large_descriptor_dims: int = 8  # halves the search's memory on Full-HD levels
    pm_rounds: int = 5  # PatchMatch jump-flood rounds of steps (8, 4, 1) on a cold start
    # Weighted PatchMatch (the paper's completeness term, for analogies; the authors' code
    # has it off for generation): keys used little are preferred, weights 1/(d_k + alpha)
    # on the descriptors' scale. Off (None) by default: it pulled rare patches (pieces of
    # ground, balloon fragments) into the sky and cost a reverse search per iteration.
    completeness_alpha: float | None = None
    # PCA dimensions of the patch descriptors used by the search. 64 of 147 rank the
    # nearest patch almost as exact distances do; 16 left matches 1.16x the exact distance
    # and visibly broke fine structure (bench --ablate "16-d search").
    descriptor_dims: int = 64
    final_descriptor_dims: int | None = None  # for each level's last EM iteration (None: the same)
    # Levels over `fine_voxels` (the finest four of a 144p clip, most of the work) search
    # on `fine_descriptor_dims` and take descriptor_dims for their last EM iteration only:
    # the layout is settled by then and the last iteration re-ranks the matches (None:
    # off). 100,000 rather than 200,000 (the finest two) kept every figure of air_balloons
    # (5 seeds) and the authors' 20 frames (8) within 0.001 for 15% less CPU at 144p;
    # 50,000 raised p95 (0.0250 -> 0.0264 on the 20 frames).
    fine_voxels: int = 100_000
    fine_descriptor_dims: int | None = 16
    # EM iterations of those fine levels (None: em_iters). They start from the level below,
    # whose layout is settled, and only sharpen it: 3 instead of 5 left every quality figure
    # within the seed-to-seed noise for about a tenth of a 144p run (README, How it works).
    fine_em_iters: int | None = 3
    # Voting: "luma" = per voxel, the vote whose luminance is the median (a real colour);
    # "median" = per-channel median; "mean". Stride > 1 takes the votes of a sparser lattice
    # of spatial patch offsets around the centre: for 3x7x7 patches 3 gives offsets 0, 3, 6
    # (the patch's centre and both edges) and 2 gives 1, 3, 5, 27 of the 147 votes either
    # way; 1 keeps all. The edges' votes make the more coherent video at the same cost
    # (3 seeds each, coherence / p95: sheep 0.0099 / 0.072 -> 0.0070 / 0.047, lava 0.0100
    # -> 0.0085, the authors' 20 air_balloons frames 0.0056 -> 0.0049, as coherent as Best),
    # with the same layouts, diversity and flicker within a few percent.
    vote: str = "luma"
    vote_stride: int = 3
    # Levels whose source has at most this many voxels (the first four or five of a short
    # clip: the coarsest is 15 pixels high) vote with the paper's per-channel median of all
    # covering patches whatever `vote` says. The layout settles there, and the median keeps
    # objects whole (air_balloons, 5 seeds: p95@0.5 0.064 -> 0.055; limits of 5k to 50k
    # voxels all gave that, the per-channel median of 27 votes did not) for about 0.4 s; on
    # every level it costs 3x the whole run (Best). 0: off.
    coarse_vote_voxels: int = 10_000
    # Coarsest noise when a request leaves it unset: sigma = noise_scale x the coarsest
    # level's mean distance between a patch and its nearest other patch (engine/noise.py),
    # drawn half replicated along time and half per voxel ("mixed") and blurred in space by
    # `noise_smooth` pixels of the coarsest level (0: white). Smooth noise moves the colour of
    # regions rather than of single voxels, so the search swaps whole regions for others of
    # the input, rare ones too; the seeds it cuts (sky into the ground band) are drawn again
    # (engine/copy_check.py). Measured against the paper's replicated white noise at 1.3
    # (the default until 2026-12-04; docs/quality_notes.md, 13-27): the authors' 20 frames
    # 16 seeds coherence 0.0041 vs 0.0049 (0.0043 since the redraw test reads three levels),
    # diversity 0.42 vs 0.38; air_balloons within every bar (p95@0.5 0.057 vs 0.055, 10
    # seeds); five more clips more coherent at half size on four; Full-HD without the pale
    # seams in the sky.
    noise_scale: float = 0.6
    noise_mode: str = "mixed"  # "replicated" along time (the paper), "voxel" or "mixed"
    noise_smooth: float = 1.0
    # Variations and retargets: blend the faint seams where regions copied from different
    # places meet in smooth areas (pale steps in a sky), by re-integrating the finest level's
    # colours (engine/seams.py). "auto": only where the run's own seam measure is over the
    # realism score's flag (engine.verdict.SEAMS_FLAG_AT), so a seed with plain pale steps
    # comes out without them and every other seed is left as made, frame for frame.
    # Not "on" for all: the exact-patch coherence counts the smooth ramps a blend leaves as
    # new (the authors' 20 frames 0.0049 -> 0.0054, over their 0.0051; docs/quality_notes.md,
    # 35, 66-69).
    blend_seams: str = "auto"  # "off" | "auto" | "on" (BLEND_SEAMS)
    # Variations and retargets: black bars, bars of another colour and blurred sides
    # (engine/surround.py) are kept out of what is made and put back around it. False: the
    # whole frame is made, where a clip's edges were taken for bars or sides wrongly.
    keep_edges: bool = True
    # Variations: "Keep subjects whole" (KEEP_WHOLE_ALPHA; None: off). The completeness term
    # on the levels at the coarsest frame size only, where the layout is drawn: every part
    # of the input is wanted there, so a large single subject (a dancer) is cut into pieces
    # by the noise far less often (ballet, 45 draws at 144p and 360p: 5 broken against 14).
    # Off by default: it pulls layouts towards the input's (more copies drawn again) and the
    # variations hold more of the input's moving things, so they flicker more
    # (docs/quality_notes.md, 41).
    coarse_completeness_alpha: float | None = None
    max_side: int | None = None  # shrink the run so the input's and output's longest sides fit
    device: str = "auto"  # "auto" | "cpu" | "cuda"

    def with_(self, **changes: object) -> Settings:
        return replace(self, **changes)

    def validate(self) -> None:
        """Raise InputError naming the first setting that cannot work."""
        def need(ok: bool, what: str) -> None:
            if not ok:
                raise InputError(f"settings: {what}")

        for name in ("patch_size", "large_patch_size"):
            p = getattr(self, name)
            need(len(p) == 3 and all(isinstance(v, int) and v >= 1 for v in p),
                 f"{name} must be three whole numbers >= 1 (T, H, W), got {p}")
        for name in ("spatial_factor", "temporal_factor"):
            v = getattr(self, name)
            need(math.isfinite(v) and 0.3 <= v < 1, f"{name} must be in [0.3, 1), got {v}")
        for name in ("min_side", "min_frames", "em_iters", "large_em_iters", "pm_rounds",
                     "descriptor_dims", "large_descriptor_dims", "vote_stride", "large_voxels"):
            v = getattr(self, name)
            need(isinstance(v, int) and v >= 1, f"{name} must be a whole number >= 1, got {v}")
        for name in ("completeness_alpha", "coarse_completeness_alpha"):
            a = getattr(self, name)
            need(a is None or (math.isfinite(a) and a > 0), f"{name} must be > 0 or None, got {a}")
        need(self.vote in VOTES, f"vote must be one of {', '.join(VOTES)}, got {self.vote!r}")
        need(self.noise_mode in ("replicated", "voxel", "mixed"),
             f"noise_mode must be replicated, voxel or mixed, got {self.noise_mode!r}")
        need(math.isfinite(self.noise_scale) and 0 <= self.noise_scale <= 20,
             f"noise_scale must be in [0, 20], got {self.noise_scale}")
        need(math.isfinite(self.noise_smooth) and 0 <= self.noise_smooth <= 8,
             f"noise_smooth must be in [0, 8] pixels, got {self.noise_smooth}")
        need(isinstance(self.blend_seams, str) and self.blend_seams in BLEND_SEAMS,
             f"blend_seams must be one of {', '.join(BLEND_SEAMS)}, got {self.blend_seams!r}")
        c = self.coarsest_em_iters
        need(c is None or (isinstance(c, int) and c >= 1), f"coarsest_em_iters must be >= 1 or None, got {c}")
        need(isinstance(self.coarse_vote_voxels, int) and self.coarse_vote_voxels >= 0,
             f"coarse_vote_voxels must be a whole number >= 0, got {self.coarse_vote_voxels}")
        need(isinstance(self.fine_voxels, int) and self.fine_voxels >= 1,
             f"fine_voxels must be a positive integer, got {self.fine_voxels}")
        for name in ("final_descriptor_dims", "fine_descriptor_dims", "fine_em_iters"):
            f = getattr(self, name)
            need(f is None or (isinstance(f, int) and f >= 1), f"{name} must be >= 1 or None, got {f}")
        need(self.max_side is None or (isinstance(self.max_side, int) and self.max_side >= 8),
             f"max_side must be at least 8 pixels, got {self.max_side}")


# Draft: a quick look at reduced size. Normal: the paper's pyramid, patch size and 5 EM
# iterations at full size (3 on the fine levels), with these differences: the search
# compares 64-d PCA descriptors of the patches instead of all 147 values (the ranking
# differs rarely, it is 2-3x faster),
# above the coarse levels the vote takes the median-luminance colour of 27 of the 147
# covering patches instead of a per-channel median of all, the coarsest noise is scaled to
# the clip (engine/noise.py) instead of a fixed sigma, blurred in space and half of it drawn
# per voxel instead of white and replicated along time, and a seed that copies the input or
# cuts a band of the scene is drawn again (run.py), and one whose faint seams the realism
# score would flag has them blended (blend_seams "auto", engine/seams.py). Best: Normal
# with the paper's vote, the per-channel median of all 147 covering patches, and 5 EM
# iterations on every level (about 3x slower; on the authors' 20 frames about as coherent
# as Normal's lattice of the patch centre and edges: docs/quality_notes.md).
QUALITY_PRESETS: dict[str, dict[str, object]] = {
    "draft": {"max_side": 320, "em_iters": 2, "vote_stride": 3},
    "normal": {"max_side": None, "em_iters": 5, "vote_stride": 3},
    "best": {"max_side": None, "em_iters": 5, "vote_stride": 1, "vote": "median", "fine_em_iters": None},
}


def preset(name: str, base: Settings | None = None) -> Settings:
    """Settings for a quality preset ("draft", "normal", "best")."""
    key = name.lower()
    if key not in QUALITY_PRESETS:
        raise ValueError(f"unknown quality preset {name!r}; choose from {', '.join(QUALITY_PRESETS)}")
    return (base or Settings()).with_(**QUALITY_PRESETS[key])


def shrink_scale(max_side: int | None, *sides: int) -> float:
    """The one scale a run is shrunk by under `max_side` (Draft, --max-side): the longest of
    `sides`, the source's and the output's in the original's pixels, at most max_side. One
    scale for both keeps the patches' size in the output what it is at full size, and a
    result larger than its source (a retarget, an analogy with a large clip A) small too."""
    longest = max(sides)
    return max_side / longest if max_side and longest > max_side else 1.0
