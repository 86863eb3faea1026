"""Blending the faint seams of a finished variation (Settings.blend_seams: by default only
where the run's seam measure flags them).

Where two regions copied from different places of the input meet in smooth sky, their
colours can differ by a few levels: a straight pale step (README, Known limits, Seams) that
every finer level keeps, since the patches on both sides are real. This pass re-integrates
the finest level's colours, frame by frame, as a screened Poisson problem:

    minimise  sum over pixel edges |o(u + e) - o(u) - g_e(u)|^2  +  lam * sum |o - c|^2

c is the voted output; g is c's own gradient, except at edges where c steps faintly while
the input under u's match (the match of the patch centred on u) does not: there g is that
input's gradient. Objects and textures keep their gradients and stay as voted; a faint step
is taken out, its difference spread smoothly over about `SPREAD` of the frame's short side
(1 / sqrt(lam) pixels). Only steps that run along a line count (`LINE`): a seam between two
copied regions is a long edge, while a faint step of a pixel or two is texture, and blending
it would only move colours that were real. Each frame is solved on its own; the corrections
are then averaged over neighbouring frames, so that a seam found in one frame but not the
next does not flicker. Measured 2026-12-04 (docs/quality_notes.md, 35-36): on air_balloons'
seeds with pale steps most of each step's edge is gone; the exact-patch coherence, which
counts a smooth ramp over real sky as new, rises (5 seeds, raw frames 0.0052 -> 0.0056; the
authors' 20 frames 0.0049 -> 0.0051) while its 95th percentile falls (0.0263 -> 0.0259).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

import torch
import torch.nn.functional as F

from engine.config import Shape3
from engine.errors import Cancelled
from engine.vpnn import Coords

SPREAD = 0.1  # of the short side: how far a step's correction reaches (1 / sqrt(lam) pixels)
LEVEL = 2 / 255  # one 8-bit level in the engine's [-1, 1] colours
FAINT_SOURCE = 4 * LEVEL  # the input's own gradient under the match is at most this (smooth)
FAINT_STEP = 24 * LEVEL  # the output's step is under this (an object's edge is not a seam)
MIN_STEP = 3 * LEVEL  # and differs from the input's gradient by at least this
# Passes of the blend by the frame's short side. One pass takes out nearly all of a long
# straight step but only about a third of a short one's, whose constraint is shared with its
# neighbours' own gradients (the edges of copied clouds, a few pixels long); each pass
# starts from the last's result, and four leave about half as many seam edges, their steps
# 8.5 -> 3.8 levels (docs/quality_notes.md, 67). A few pixels are a sixtieth of a 144p
# frame's height and too small to see at Full-HD, where a pass takes 20 s: fewer there.
PASSES = ((360, 4), (720, 2))  # (up to this short side, passes); larger: 1
LINE = 9  # a seam's edges: this many along the step's own line (a vertical step stacks in y)
ON_LINE = 0.7  # of which at least this share are steps too (within a pixel across the line)


def _sources(coords: Coords, patch: Shape3, t: int, h: int, w: int,
             src: tuple[int, int, int]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Source voxel (t, y, x), each (h, w), of every pixel of output frame t: where the match
    of the patch centred on it (clamped to the grid) puts it."""
    mt, my, mx = coords
    gt, gh, gw = mt.shape
    device = mt.device
    qt = min(max(t - patch[0] // 2, 0), gt - 1)
    uy = torch.arange(h, device=device)
    ux = torch.arange(w, device=device)
    qy = (uy - patch[1] // 2).clamp(0, gh - 1)
    qx = (ux - patch[2] // 2).clamp(0, gw - 1)
    st = mt[qt][qy][:, qx] + (t - qt)
    sy = my[qt][qy][:, qx] + (uy - qy)[:, None]
    sx = mx[qt][qy][:, qx] + (ux - qx)[None, :]
    return st.clamp(0, src[0] - 1), sy.clamp(0, src[1] - 1), sx.clamp(0, src[2] - 1)


def _steps(out: torch.Tensor, theirs: torch.Tensor, axis: int) -> tuple[torch.Tensor, torch.Tensor]:
    """One (C, h, w) frame's own gradient along `axis` (-1: x, -2: y; zero on the last column
    or row, where no edge leaves the frame) and its seam edges, (h, w): where it steps
    faintly while the source under each pixel's match (`theirs`, its gradient) does not,
    on a line of such steps."""
    own = torch.zeros_like(out)
    if axis == -1:
        own[..., :-1] = out[..., 1:] - out[..., :-1]
    else:
        own[..., :-1, :] = out[..., 1:, :] - out[..., :-1, :]
    seam = ((theirs.abs().amax(0) < FAINT_SOURCE) & (own.abs().amax(0) < FAINT_STEP)
            & ((own - theirs).abs().amax(0) >= MIN_STEP))
    return own, _along_lines(seam, axis)


def _guide(out: torch.Tensor, theirs: torch.Tensor, axis: int) -> tuple[torch.Tensor, int]:
    """The target gradient along `axis` of one (C, h, w) frame: its own, but the source's
    under the match across its seam edges; and how many seam edges there were."""
    own, seam = _steps(out, theirs, axis)
    g = torch.where(seam[None], theirs, own)
    if axis == -1:
        g[..., -1] = 0
    else:
        g[..., -1, :] = 0
    return g, int(seam.sum())


def _along_lines(seam: torch.Tensor, axis: int) -> torch.Tensor:
    """The (h, w) step edges of `seam` that lie on a line of them: at least ON_LINE of the LINE
    edges along the step's line (y for a step in x, x for a step in y) are steps too, a
    pixel's wobble across the line allowed."""
    m = seam[None, None].float()
    across = (1, 3) if axis == -1 else (3, 1)
    along = (LINE, 1) if axis == -1 else (1, LINE)
    m = F.max_pool2d(m, across, 1, (across[0] // 2, across[1] // 2))
    share = F.avg_pool2d(m, along, 1, (along[0] // 2, along[1] // 2), count_include_pad=False)
    return seam & (share[0, 0] >= ON_LINE)


def _smooth_in_time(change: torch.Tensor) -> None:
    """Average (C, T, H, W) per-frame corrections with their neighbours', weights 1, 2, 1
    (2, 1 at the ends), in place, one frame of copies at a time."""
    t = change.shape[1]
    if t < 2:
        return
    before = change[:, 0].clone()
    change[:, 0] = (2 * change[:, 0] + change[:, 1]) / 3
    for f in range(1, t - 1):
        here = change[:, f].clone()
        change[:, f] = (before + 2 * here + change[:, f + 1]) / 4
        before = here
    change[:, -1] = (before + 2 * change[:, -1]) / 3


def _source_gradients(rows: torch.Tensor, size: tuple[int, int, int], st: torch.Tensor,
                      sy: torch.Tensor, sx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The source's x and y gradients (C, h, w) at each pixel's source voxel; `rows` is the
    source as (C, Tv*Hv*Wv). Zero where the next voxel would leave the source."""
    _, hv, wv = size
    c = rows.shape[0]
    flat = ((st * hv + sy) * wv + sx).reshape(-1)
    here = rows.index_select(1, flat)
    right = rows.index_select(1, (flat + 1).clamp(max=rows.shape[1] - 1)) - here
    down = rows.index_select(1, (flat + wv).clamp(max=rows.shape[1] - 1)) - here
    right = right.masked_fill_(~(sx + 1 < wv).reshape(1, -1), 0)
    down = down.masked_fill_(~(sy + 1 < hv).reshape(1, -1), 0)
    shape = (c, *st.shape)
    return right.view(shape), down.view(shape)


def _solve(rhs: torch.Tensor, lam: float) -> torch.Tensor:
    """(lam - Laplacian) o = rhs on a (C, h, w) frame with reflecting borders: the frame
    mirrored to (2h, 2w) is periodic, where the discrete Laplacian is diagonal in Fourier."""
    _, h, w = rhs.shape
    big = torch.cat([rhs, rhs.flip(-1)], -1)
    big = torch.cat([big, big.flip(-2)], -2)
    fy = torch.arange(2 * h, device=rhs.device, dtype=rhs.dtype)
    fx = torch.arange(w + 1, device=rhs.device, dtype=rhs.dtype)
    eig = (4 - 2 * torch.cos(math.pi * fy / h)[:, None] - 2 * torch.cos(math.pi * fx / w)[None, :])
    out = torch.fft.irfft2(torch.fft.rfft2(big) / (lam + eig), s=(2 * h, 2 * w))
    return out[:, :h, :w]


def passes_for(h: int, w: int) -> int:
    """How many passes the blend makes on frames of h x w pixels (PASSES)."""
    return next((n for side, n in PASSES if min(h, w) <= side), 1)


def blend_seams(video: torch.Tensor, source: torch.Tensor, coords: Coords, patch: Shape3,
                cancel: Callable[[], bool] | None = None,
                passes: int | None = None) -> tuple[torch.Tensor, float]:
    """The finest level's output (C, T, H, W) in [-1, 1] with its faint seams blended, from
    its source (C, Tv, Hv, Wv) and its matches' top-left coordinates on the source's patch
    grid (each shaped like the output's patch grid): up to `passes` passes (None or 0:
    passes_for the frame's size), each starting from the last's result, until one finds no
    seam; and the share of the seam edges found at first that are left, at most 1 (what the
    realism score's seam measure keeps). `cancel()` is polled before each frame (a Full-HD frame
    takes seconds), raising Cancelled."""
    first = 0
    for n in range(passes or passes_for(*video.shape[2:])):
        video, found = _blend_pass(video, source, coords, patch, cancel)
        first = first or found
        if not found:
            return video, 0.0 if n else 1.0
    # At most all of them: edges found after a pass that were not seam edges before are what
    # is left of a step it spread out (one pass at Full-HD finds 1.1 times as many).
    return video, min(1.0, _seam_edges(video, source, coords, patch, cancel) / first)


def _blend_pass(video: torch.Tensor, source: torch.Tensor, coords: Coords, patch: Shape3,
                cancel: Callable[[], bool] | None) -> tuple[torch.Tensor, int]:
    """One pass of the blend: solved frame by frame in float64, the corrections then
    smoothed in time; and how many seam edges it found."""
    _, _, h, w = video.shape
    lam = 1.0 / (SPREAD * min(h, w)) ** 2
    out = torch.empty_like(video)
    found = 0
    for f, frame, tx, ty in _frames(video, source, coords, patch, cancel):
        gx, nx = _guide(frame, tx, -1)
        gy, ny = _guide(frame, ty, -2)
        found += nx + ny
        if not nx + ny:  # its own gradients everywhere: the solution is the frame itself
            out[:, f] = 0
            continue
        gx, gy = gx.double(), gy.double()
        div = gx.clone()
        div[..., 1:] -= gx[..., :-1]
        div += gy
        div[..., 1:, :] -= gy[..., :-1, :]
        out[:, f] = (_solve(lam * frame.double() - div, lam) - frame).to(video.dtype)
    _smooth_in_time(out)
    return out.add_(video).clamp_(-1, 1), found


def _frames(video: torch.Tensor, source: torch.Tensor, coords: Coords, patch: Shape3,
            cancel: Callable[[], bool] | None) -> Iterator[tuple[int, torch.Tensor, torch.Tensor, torch.Tensor]]:
    """Each output frame (C, h, w) with the source's x and y gradients under its pixels'
    matches: (index, frame, x gradients, y gradients); `cancel()` polled before each."""
    c, t, h, w = video.shape
    size = tuple(source.shape[1:])
    rows = source.reshape(c, -1)
    for f in range(t):
        if cancel is not None and cancel():
            raise Cancelled()
        st, sy, sx = _sources(coords, patch, f, h, w, size)
        tx, ty = _source_gradients(rows, size, st, sy, sx)
        yield f, video[:, f], tx, ty


def seam_lines(video: torch.Tensor, source: torch.Tensor, coords: Coords, patch: Shape3,
               cancel: Callable[[], bool] | None = None) -> float:
    """How much faint seam a finished output (C, T, H, W) holds: the pixel edges that
    `blend_seams` would blend (faint steps on lines, where the source under the match is
    smooth), as a length per frame in units of the frame's short side, so that it reads
    alike at every size (a seam across the frame's height is about 1). The realism score's
    seam term (engine.verdict.SEAMS_FLAG_AT): a patch measure at object scale does not see
    a step of a few grey levels between two real patches of sky."""
    _, t, h, w = video.shape
    return _seam_edges(video, source, coords, patch, cancel) / (t * min(h, w))


def _seam_edges(video: torch.Tensor, source: torch.Tensor, coords: Coords, patch: Shape3,
                cancel: Callable[[], bool] | None) -> int:
    """How many pixel edges of the output are seam edges (`_steps`)."""
    return sum(int(_steps(frame, tx, -1)[1].sum()) + int(_steps(frame, ty, -2)[1].sum())
               for _, frame, tx, ty in _frames(video, source, coords, patch, cancel))
