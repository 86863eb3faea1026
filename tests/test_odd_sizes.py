"""Every task on clips and outputs of odd sizes: a still image, two frames, frames thinner
than a patch, strips. A run either finishes with the asked shape (and, for inpainting,
every pixel outside the hole as it was) or refuses with an InputError; it never crashes.
Three crashes of this kind were found by such a sweep (a retarget to fewer frames than a
patch, inpainting a photo, DIS on thin strips)."""

from __future__ import annotations

import numpy as np
import pytest

from engine.config import KEEP_WHOLE_ALPHA, Settings
from engine.errors import InputError
from engine.request import Request
from tests.synth import final

SHAPES = [(1, 9, 13), (2, 12, 40), (3, 17, 23), (5, 8, 8), (7, 5, 60), (4, 60, 6)]


def ramp_clip(t: int, h: int, w: int) -> np.ndarray:
    """Colour ramps and a moving checker: structure at any size, even one pixel."""
    yy, xx = np.mgrid[0:h, 0:w]
    out = np.zeros((t, h, w, 3), np.uint8)
    for i in range(t):
        out[i, ..., 0] = (xx * 255 // max(w - 1, 1) + 7 * i) % 256
        out[i, ..., 1] = yy * 255 // max(h - 1, 1)
        out[i, ..., 2] = ((xx // 3 + yy // 3 + i) % 2) * 200
    return out


def requests(t: int, h: int, w: int) -> dict[str, Request]:
    hole = np.zeros((t, h, w), bool)
    hole[:, h // 3 : h // 3 + max(1, h // 4), w // 3 : w // 3 + max(1, w // 4)] = True
    return {
        "generate": Request(seed=0),
        "generate, both boxes": Request(seed=1, settings=Settings().with_(
            coarse_completeness_alpha=KEEP_WHOLE_ALPHA, blend_seams="on")),
        "retarget larger": Request(task="retarget", width=w * 3 // 2 + 1, frames=t + 2),
        "retarget smaller": Request(task="retarget", width=max(1, w // 2), height=max(1, h // 2),
                                    frames=max(1, t // 2)),
        "retarget to one frame": Request(task="retarget", frames=1),
        "inpaint": Request(task="inpaint", mask=hole, seed=2),
    }


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_every_task_finishes_or_refuses_at_odd_sizes(shape):
    t, h, w = shape
    clip = ramp_clip(t, h, w)
    for name, request in requests(t, h, w).items():
        try:
            res = final(clip, request)
        except InputError as exc:  # a refusal must say why
            assert str(exc), name
            continue
        want = (request.frames or t, request.height or h, request.width or w, 3)
        assert res.frames.shape == want, name
        assert res.frames.dtype == np.uint8, name
        if request.task == "inpaint":
            keep = ~request.mask
            assert np.array_equal(res.frames[keep], clip[keep]), name
