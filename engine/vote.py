"""Folding overlapping patches back into a video: every output voxel takes the median
(or mean) of the values that the overlapping patches' matches put there. Colours are in
the engine's range [-1, 1]; the median is taken on their 8-bit levels.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from engine.chunks import DEFAULT, Budgets, slabs
from engine.colour import from_codes, to_codes
from engine.config import Shape3
from engine.errors import Cancelled
from engine.median_network import median_rows

LUMA = (0.299, 0.587, 0.114)
INT32_VOXELS = 2**31  # sources under this many voxels are indexed with 32-bit integers


def _clamped(size: int, grid: int, pad: int, device: torch.device) -> torch.Tensor:
    """Index of the nearest valid patch position for padded positions -pad..size-1."""
    return (torch.arange(-pad, size, device=device)).clamp(0, grid - 1)


def vote(
    value: torch.Tensor,
    coords: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
    patch: Shape3,
    *,
    reduce: str = "median",
    stride: int = 1,
    cancel: Callable[[], bool] | None = None,
    budgets: Budgets = DEFAULT,
) -> torch.Tensor:
    """Output video (C, T, H, W) from the value video (C, Tv, Hv, Wv) and the matches' top-left
    coordinates (t, y, x), each shaped like the query grid.

    A voxel u gets one vote per patch offset o: the patch at u - o (clamped to the grid, so
    border voxels re-use their nearest covering patch) puts there the value of its match's
    voxel at u - p. `stride` > 1 takes the spatial offsets on a sparser lattice (fewer votes).
    """
    c, tv, hv, wv = value.shape
    pt, ph, pw = patch
    mt, my, mx = coords
    gt, gh, gw = mt.shape
    size = (gt + pt - 1, gh + ph - 1, gw + pw - 1)
    device = value.device
    # Flat source index of every match's corner, edge-padded by the patch size so that the
    # covering patch for any offset is a window of it. In place, and padded in one gather:
    # on a Full-HD level each new field is a 231 MB block for the kernel to zero. 32-bit
    # where the source's voxels fit: the passes over 27 indices a voxel then move half the
    # bytes (a Full-HD vote 3.8 s -> 2.7 s, the same video).
    index = torch.int32 if tv * hv * wv < INT32_VOXELS else torch.int64
    base = mt.to(index, copy=True).mul_(hv).add_(my).mul_(wv).add_(mx)
    it, iy, ix = (_clamped(g + p - 1, g, p - 1, device) for g, p in zip((gt, gh, gw), patch, strict=True))
    base = base[it.view(-1, 1, 1), iy.view(1, -1, 1), ix.view(1, 1, -1)]
    # Offset inside the covering patch, per patch offset o (rows) and voxel u (columns):
    # u - clamp(u - o), as source strides.
    def inside(n: int, g: int, offsets: list[int], unit: int) -> torch.Tensor:
        u = torch.arange(n, device=device)
        o = torch.tensor(offsets, device=device)[:, None]
        return (u - (u - o).clamp(0, g - 1)).mul_(unit).to(index)

    lattice = (list(range(pt)), _lattice(ph, stride), _lattice(pw, stride))
    in_t = inside(size[0], gt, lattice[0], hv * wv)[:, None, None, :, None, None]
    in_y = inside(size[1], gh, lattice[1], wv)[None, :, None, None, :, None]
    in_x = inside(size[2], gw, lattice[2], 1)[None, None, :, None, None, :]
    # The covering patch of voxel u for offset o has its corner at base[u + p - 1 - o] per
    # axis: one window of `base` per offset, and every offset's window in one gather.
    corner = [torch.tensor([p - 1 - o for o in offs], device=device).view(shape)
              for p, offs, shape in zip(patch, lattice, ((-1, 1, 1), (1, -1, 1), (1, 1, -1)), strict=True)]
    n_votes = len(lattice[0]) * len(lattice[1]) * len(lattice[2])
    _, hb, wb = base.shape
    rows = value.reshape(c, -1).T.contiguous()  # (Nv, C): one gather fetches all channels
    # The median runs on 8-bit codes of the colours: the source is 8-bit, rounding is
    # monotone (so the median of the rounded votes is the rounded median) and a byte median
    # plus its gather take half the time of float's.
    codes = to_codes(rows) if reduce == "median" else rows
    if reduce == "luma":
        luma = rows @ torch.tensor(LUMA, device=device, dtype=value.dtype) if c == 3 else rows.mean(1)
        keys, order, mask = _luma_keys(luma, n_votes)
    out = torch.empty((c, *size), device=device, dtype=value.dtype)
    # A chunk is whole frames or, where one frame's votes pass the budget (27 votes of a
    # Full-HD frame are 448 MB of indices), blocks of rows. Every voxel's vote is its own,
    # so the chunks give the same video.
    per_row = n_votes * max(8, c * value.element_size()) * size[2]
    for t0, t1, y0, y1 in slabs(size[0], size[1], per_row, budgets.vote_bytes):
        if cancel is not None and cancel():
            raise Cancelled()
        block = (t1 - t0, y1 - y0, size[2])
        # Source voxel of every vote: (offsets, voxels of this chunk), in the order of the
        # offsets (t, then y, then x), which the luma vote's ties follow.
        windows = base.as_strided((pt, ph, pw, *block), (hb * wb, wb, 1, hb * wb, wb, 1),
                                  base.storage_offset() + t0 * hb * wb + y0 * wb)
        srcs = windows[corner[0], corner[1], corner[2]]
        srcs += in_t[..., t0:t1, :, :]
        srcs += in_y[..., y0:y1, :]
        srcs += in_x
        srcs = srcs.view(n_votes, -1)
        if reduce == "luma":
            # The vote whose luminance is the median: a real colour from one patch. Only the
            # luminance key of every vote is fetched, then one colour per voxel.
            votes = keys.index_select(0, srcs.reshape(-1)).view_as(srcs).add_(order)
            pick = median_rows(votes, overwrite=True).bitwise_and_(mask).long()
            chosen = srcs.gather(0, pick[None])[0]
            picked = rows.index_select(0, chosen).view(*block, c)
        elif reduce == "median":
            votes = codes.index_select(0, srcs.reshape(-1)).view(n_votes, *block, c)
            picked = from_codes(median_rows(votes, overwrite=True), value.dtype)
        else:
            votes = rows.index_select(0, srcs.reshape(-1)).view(n_votes, *block, c)
            picked = votes.mean(dim=0)
        out[:, t0:t1, y0:y1] = picked.permute(3, 0, 1, 2)
    return out


def _luma_keys(luma: torch.Tensor, n: int) -> tuple[torch.Tensor, torch.Tensor, int]:
    """Sort keys for the luma vote: each source voxel's luminance, quantised, in the high
    bits and the vote's number (0..n-1, added per vote) in the low bits, so the median key
    names its vote and equal luminances go to the lower-numbered vote. 16-bit integers
    (10 bits of luminance, finer than the 8-bit source's steps of 0.299, 0.587 and 0.114
    levels need only where they tie) while n fits in 5 bits; else 32-bit with 16."""
    bits = max(1, (n - 1).bit_length())
    dtype, levels = (torch.int16, 1023) if bits <= 5 else (torch.int32, 65535)
    quantised = luma.add(1.0).mul_(levels / 2).round_().clamp_(0, levels).to(dtype)
    order = torch.arange(n, device=luma.device, dtype=dtype)[:, None]
    return quantised.bitwise_left_shift_(bits), order, (1 << bits) - 1


def _lattice(n: int, stride: int) -> list[int]:
    """Patch offsets at `stride` around the patch centre (7, 2 -> 1, 3, 5; 7, 3 -> 0, 3, 6).
    A stride over half the patch is taken as half of it, so that the lattice still reaches
    both edges of a smaller patch (5, 3 -> 0, 2, 4; the large levels' 3x5x5 patches)."""
    c = (n - 1) // 2
    step = max(1, min(stride, c))
    return sorted({o for k in range(-n, n + 1) if 0 <= (o := c + k * step) < n})
