"""Is a seed a copy of its input? Measured on the matches of an early pyramid level.

A copy is one rigid displacement covering most of the output: every patch matches the key
at its own place (the input itself) or at one common shift of it (the input slid sideways,
which a user sees as the same picture). A variation is made of pieces, each copied with its
own displacement; a static background kept in place is one piece among others.

Measured at the third level run with redraws off (12 seeds each of six clips): copies sit
at 0.9-1.0 there, among them shifted ones that a test of the own place alone let through
(an air_balloons seed at 0.47 on its own place, 1.0 on a shift of two voxels, ended as the
input moved sideways); variations that keep a static background in place sit at 0.3-0.7.
Between 0.75 and 0.85 lie partial copies: half the layout kept, the rest new (kept).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from engine.config import Shape3
from engine.realism import LAYOUT_FLAG_AT, layout_shift

Coords = tuple[torch.Tensor, torch.Tensor, torch.Tensor]

COPY_CHECK_LEVEL = 2  # the third level run: the coarsest alone is not conclusive
COPY_FRACTION = 0.85  # above this share on one displacement, the seed is drawn again
# Draws after the first, for copies and cuts together; a cut is mostly seen at the coarsest
# level, where a redraw costs one level. When all fail, the least bad draw is kept.
COPY_RETRIES = 8
# The first redraw keeps the sigma (on real clips a copy is one unlucky draw; stronger noise
# breaks objects, as sigma x1.5 did on the sample); later ones grow it by this factor each,
# for clips whose noise is too weak to leave their layout at all (tiny clips, a coarsest
# grid of a few hundred patches, needed 4-8x).
COPY_BOOST = 1.5


def copy_fraction(nnf: Coords, query_grid: Shape3, key_grid: Shape3, period: int | None = None) -> float:
    """The largest share of matches that sit at one displacement from their query, within a
    voxel per axis (displacement 0: the input's own place). 0 when the frame sizes differ: a
    retarget in space cannot be a copy. Another duration can: a shorter output is a copy
    when it is one stretch of the clip, and a longer one drawn from the clip looped in time
    (`period`: the clip's length on the key grid) when it replays the loop, so its own place
    in time is taken modulo the period."""
    if tuple(query_grid[1:]) != tuple(key_grid[1:]):
        return 0.0
    device = nnf[0].device
    sizes = [q + k - 1 for q, k in zip(query_grid, key_grid, strict=True)]  # -(q-1)..k-1
    flat = torch.zeros((), dtype=torch.long, device=device)
    for axis, (match, g, n) in enumerate(zip(nnf, query_grid, sizes, strict=True)):
        shape = [1, 1, 1]
        shape[axis] = g
        own = torch.arange(g, device=device)
        if axis == 0 and period:
            own = own % period
        flat = flat * n + (match.reshape(query_grid).long() - own.view(shape) + (g - 1))
    hist = torch.bincount(flat.reshape(-1), minlength=sizes[0] * sizes[1] * sizes[2])
    # Matches within a voxel of each displacement: a 3x3x3 box sum over the histogram.
    padded = F.pad(hist.view(1, 1, *sizes).double(), (1, 1) * 3)
    near = F.avg_pool3d(padded, 3, stride=1) * 27
    return float(near.max() / flat.numel())


def band_shift(source_frames: np.ndarray, frames: np.ndarray) -> float:
    """How far an early level's output cuts a band of the scene (sky pushed into the ground
    band, a floor gone): the realism score's layout term against that level's source; a cut
    above LAYOUT_FLAG_AT. The cut is there from the coarsest level on (air_balloons under
    smooth noise: 8.7-13.5 at the first three levels of the seeds that end cut, 0.5-1.8 for
    clean ones), so the test costs a few early levels, not a whole run. It is read at every
    held level: a small cut (a patch of sky in the ground band of Full-HD balloons, seen on
    a GPU) measured 11.3 at the coarsest but 4.8-6 from the second level on, where the
    finer grid dilutes it in its block, and stayed to the end. An output of another height
    (a variation made taller) is read where its bands may lie at that height. Read with the
    displaced-band measure as well (a ground of every colour lost to sky: a 9:16 crop of
    Full-HD balloons, 10.2-12.6 at the second and third levels of the draw that ended so;
    none of 80 other seeds of ten clips drawn again for it alone but one narrow picture's)."""
    return layout_shift(source_frames, frames, frames.shape[1] / source_frames.shape[1], displaced=True)[0]


def band_cut(source_frames: np.ndarray, frames: np.ndarray) -> bool:
    """Did the noise cut a band of the scene? (band_shift over the flag.)"""
    return band_shift(source_frames, frames) > LAYOUT_FLAG_AT
