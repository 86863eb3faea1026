"""Patch quality metrics used by `bench` and tests, defined exactly so figures compare.

Patches are 3x7x7 RGB with values in [0, 1]; the distance between two patches is
sqrt(mean of the 441 squared differences).
- coherence: mean over 1,000 random output patches of the distance to the nearest input patch.
- completeness: the same with the roles swapped (input patches searched in the output).
- diversity: mean over voxels of the std across outputs of grey (0.299R + 0.587G + 0.114B),
  divided by the std of the input's grey voxels.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from engine.descriptors import sample_patches

PATCH = (3, 7, 7)
SAMPLES = 1000
GREY = (0.299, 0.587, 0.114)


def _video(frames: np.ndarray) -> torch.Tensor:
    """(T, H, W, 3) uint8 -> (3, T, H, W) float32 in [0, 1]."""
    return torch.from_numpy(np.ascontiguousarray(frames)).permute(3, 0, 1, 2).float() / 255.0


def _patch_for(*videos: torch.Tensor) -> tuple[int, int, int]:
    """The metric patch, shrunk only where a video is smaller than it (single images)."""
    return tuple(min([p] + [v.shape[1 + i] for v in videos]) for i, p in enumerate(PATCH))  # type: ignore[return-value]


def nn_distance(samples: torch.Tensor, video: torch.Tensor, patch: tuple[int, int, int]) -> torch.Tensor:
    """Exact distance of each flattened sample patch (S, D) to its nearest patch of `video`.

    Scans the video's patches one temporal slab at a time (never all patches at once):
    ||a-b||^2 = |a|^2 + |b|^2 - 2ab, with the cross term as a 3D convolution.
    """
    c = video.shape[0]
    d = samples.shape[1]
    kernels = samples.reshape(-1, c, *patch)
    s2 = (samples**2).sum(1)
    ones = torch.ones((1, c, *patch), dtype=video.dtype)
    best = torch.full((samples.shape[0],), float("inf"), dtype=video.dtype)
    pt = patch[0]
    chunk = max(pt, 4)
    for t0 in range(0, video.shape[1] - pt + 1, chunk - pt + 1):
        slab = video[:, t0 : t0 + chunk].unsqueeze(0)
        if slab.shape[2] < pt:
            break
        cross = F.conv3d(slab, kernels)[0]  # (S, gt, gh, gw)
        v2 = F.conv3d(slab**2, ones)[0]  # (1, gt, gh, gw)
        dist = (s2[:, None, None, None] + v2 - 2 * cross).reshape(samples.shape[0], -1)
        best = torch.minimum(best, dist.min(1).values)
    return (best.double().clamp_min(0) / d).sqrt()


def _mean_nn(a: np.ndarray, b: np.ndarray, seed: int) -> float:
    va, vb = _video(a), _video(b)
    patch = _patch_for(va, vb)
    gen = torch.Generator().manual_seed(seed)
    samples = sample_patches(va, patch, SAMPLES, gen)
    # Batches of samples keep the convolution's output small at any video size.
    dists = [nn_distance(samples[i : i + 128], vb, patch) for i in range(0, samples.shape[0], 128)]
    return float(torch.cat(dists).mean())


def coherence(output: np.ndarray, source: np.ndarray, seed: int = 0) -> float:
    """Mean distance of sampled output patches to their nearest source patch (lower is better)."""
    return _mean_nn(output, source, seed)


def completeness(output: np.ndarray, source: np.ndarray, seed: int = 0) -> float:
    """Mean distance of sampled source patches to their nearest output patch (lower is better)."""
    return _mean_nn(source, output, seed)


def grey(frames: np.ndarray) -> np.ndarray:
    return frames.astype(np.float64) @ np.array(GREY) / 255.0


def diversity(outputs: Sequence[np.ndarray], source: np.ndarray) -> float:
    """Mean per-voxel std of grey across outputs of one shape, over the source's grey std."""
    if len(outputs) < 2:
        raise ValueError("diversity needs at least two outputs")
    shapes = {o.shape for o in outputs}
    if len(shapes) != 1:
        raise ValueError(f"diversity needs outputs of one shape, got {sorted(shapes)}")
    stack = np.stack([grey(o) for o in outputs])
    return float(stack.std(axis=0).mean() / grey(source).std())
