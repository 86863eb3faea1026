"""The panel's choices as a plain snapshot, and the engine Request built from them."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from engine.config import KEEP_WHOLE_ALPHA, QUALITY_PRESETS, Settings, preset, shrink_scale
from engine.request import WHOLE_TASKS, Request

# Label shown to the user -> engine task name.
TASKS = {"Variations": "generate", "Retarget": "retarget", "Inpaint": "inpaint",
         "Analogy": "analogy", "Sketch": "sketch"}
GUIDED_TASKS = ("analogy", "sketch")  # a layout (clip A or a sketch) guides the open clip's look
QUALITIES = {"Draft": "draft", "Normal": "normal", "Best": "best"}
# Variations: a multiple of the clip's own patch spacing (Settings.noise_scale; the engine
# measures the clip), so one value suits a calm sky and busy foliage alike. The other tasks:
# the coarsest noise's sigma itself.
DEFAULT_NOISE = {"generate": Settings().noise_scale, "retarget": 0.0, "inpaint": 1.0, "analogy": 0.0,
                 "sketch": 0.0}
RELATIVE_NOISE_TASKS = ("generate",)
# Share of the pyramid the layout steers (engine.tasks: analogy 0.5 as the supplementary).
DEFAULT_GUIDE_UNTIL = {"analogy": 0.5, "sketch": 1.0}


@dataclass(frozen=True)
class Choices:
    """What the side panel shows; sizes are in source pixels and frames."""

    task: str = "generate"
    width: int = 0
    height: int = 0
    frames: int = 0
    seed: int = 0
    noise: float = DEFAULT_NOISE["generate"]
    quality: str = "normal"
    device: str = "auto"
    guide_levels: int = 4  # analogy: motion levels of clip A
    look_levels: int = 8  # analogy and sketch: motion levels of the look clip
    guide_until: float = 0.5
    blend_seams: str = "auto"  # variations and retargets (Settings.blend_seams)
    keep_whole: bool = False  # variations (Settings.coarse_completeness_alpha)
    keep_edges: bool = True  # variations and retargets (Settings.keep_edges)


def build_request(choices: Choices, mask: np.ndarray | None = None,
                  hints: np.ndarray | None = None, guide: np.ndarray | None = None) -> Request:
    """An immutable engine Request; the quality preset sets max side and EM iterations.

    Inpaint takes mask (T, H, W) bool and hints (T, H, W, 4) RGBA or None at the size of
    the in/out range, keeps the clip's size and never downscales (the mask is painted at
    full size; a smaller run would not match it). Analogy and sketch take the layout as
    `guide` (T, H, W, 3) uint8 (clip A, or the sketch frames); the output follows its size
    and duration (named in the request, so the result is shown at that size)."""
    settings = preset(choices.quality).with_(device=choices.device)
    if choices.task in GUIDED_TASKS:
        t, h, w = guide.shape[:3] if guide is not None else (None, None, None)
        return Request(task=choices.task, frames=t if choices.task == "analogy" else None,
                       height=h, width=w, seed=choices.seed, noise=choices.noise,
                       settings=settings, guide=guide, guide_levels=choices.guide_levels,
                       look_levels=choices.look_levels, guide_until=choices.guide_until)
    if choices.task == "inpaint":
        return Request(task="inpaint", seed=choices.seed, noise=choices.noise,
                       settings=settings.with_(max_side=None), mask=mask, hints=hints)
    relative = choices.task in RELATIVE_NOISE_TASKS
    settings = settings.with_(blend_seams=choices.blend_seams, keep_edges=choices.keep_edges)
    if choices.keep_whole and choices.task in WHOLE_TASKS:
        settings = settings.with_(coarse_completeness_alpha=KEEP_WHOLE_ALPHA)
    return Request(
        task=choices.task,
        frames=choices.frames or None,
        height=choices.height or None,
        width=choices.width or None,
        seed=choices.seed,
        noise=None if relative else choices.noise,
        settings=settings.with_(noise_scale=choices.noise) if relative else settings,
    )


def engine_shapes(request: Request, source: tuple[int, int, int]
                  ) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    """(source, output) (T, H, W) as the engine will work on them: after the quality's
    downscale (max_side), as engine.run applies it; for engine.limits.check_output_size."""
    t, h, w = source
    out = (request.frames or t, request.height or h, request.width or w)
    scale = shrink_scale(request.settings.max_side, h, w, *out[1:])

    def scaled(v: int) -> int:
        return max(1, round(v * scale))

    return (t, scaled(h), scaled(w)), (out[0], scaled(out[1]), scaled(out[2]))


def with_seed(request: Request, seed: int) -> Request:
    return replace(request, seed=seed)


def with_quality(request: Request, quality: str) -> Request:
    """The same request at another quality preset (keeps the device)."""
    settings = preset(quality, base=request.settings)
    return replace(request, settings=settings)


def quality_of(settings: Settings) -> str | None:
    """The Quality preset `settings` were made from, as the panel names it (max side aside:
    inpainting drops it); None for settings of no preset."""
    for name, fields in QUALITY_PRESETS.items():
        if all(getattr(settings, k) == v for k, v in fields.items() if k != "max_side"):
            return name.capitalize()
    return None


def downscales(quality: str, width: int, height: int) -> bool:
    """Whether the quality preset would shrink a clip of this size (inpaint does not)."""
    side = QUALITY_PRESETS[quality]["max_side"]
    return side is not None and max(width, height) > side


# Blend seams' choices as the panel names them (Settings.blend_seams's "auto", "on", "off").
BLEND_SEAMS_NAMES = {"auto": "Where they show", "on": "Always", "off": "Never"}


def quality_tooltip(quality: str) -> str:
    s = preset(quality)
    side = "full resolution" if s.max_side is None else f"longest side up to {s.max_side} px"
    votes = ("every overlapping patch votes (the paper's per-channel median)" if s.vote_stride <= 1
             else "a lattice of patches votes (every patch on the coarsest levels)")
    iters = f"{s.em_iters} EM iterations per level"
    if s.fine_em_iters is not None and s.fine_em_iters < s.em_iters:
        iters += f" ({s.fine_em_iters} on the finest)"
    return f"{quality.title()}: {side}, {iters}, {votes}"


def scale_text(choices: Choices, source_w: int, source_h: int, source_t: int) -> str:
    """"×1.50 W · ×1.00 H · ×0.80 T": output size relative to the source (in/out range)."""

    def ratio(out: int, src: int) -> str:
        return f"×{out / src:.2f}" if src > 0 else "×–"

    return (f"{ratio(choices.width, source_w)} W · {ratio(choices.height, source_h)} H · "
            f"{ratio(choices.frames, source_t)} T")
