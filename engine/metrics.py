"""Output quality against the single input, with the definitions of the project's yardstick
(`shared/eval/score.py`), so the bench's figures and that script's agree.

Patches are 3x7x7 RGB in [0, 1]; the distance of two patches is the root mean square of
their 441 differences; nearest neighbours are exact (a 3D convolution over the whole other
video: |k|^2 - 2 q.k + |q|^2, never unfolding it).
- coherence: mean distance of sampled output patches to their nearest input patch;
  coherence_p95 the 95th percentile (local artifacts weigh little in the mean).
- completeness: mean distance of sampled input patches to their nearest output patch.
- flicker: the output's mean frame-to-frame change over the input's (1 = as calm).
- diversity: per-voxel std of grey across outputs over the input's grey std (the paper's).
- Keys with @s: measured after scaling every frame by s (antialiased bicubic); a 7x7 patch
  at 1/4 scale spans 28x28 input pixels, where broken objects and flat smears show.
Samples are drawn in score.py's order from one generator seeded 0, so both give the same
numbers on the same frames.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F

PATCH = (3, 7, 7)
SAMPLES = 500
GREY = (0.299, 0.587, 0.114)
FLAT_SPREAD = 1e-6  # grey std (in [0, 1]) under which a source is flat: diversity has no unit


def to_unit(frames: np.ndarray) -> torch.Tensor:
    """(T, H, W, 3) uint8 -> (T, H, W, 3) float32 in [0, 1]."""
    return torch.from_numpy(np.ascontiguousarray(frames)).float() / 255.0


def scaled(video: torch.Tensor, scale: float) -> torch.Tensor:
    """(T, H, W, 3) in [0, 1] scaled spatially (antialiased bicubic; never below 7 px)."""
    if scale == 1:
        return video
    t, h, w, _ = video.shape
    size = (max(7, round(h * scale)), max(7, round(w * scale)))
    x = F.interpolate(video.permute(0, 3, 1, 2), size=size, mode="bicubic", align_corners=False,
                      antialias=True)
    return x.clamp(0, 1).permute(0, 2, 3, 1).contiguous()


def _patch_for(*videos: torch.Tensor) -> tuple[int, int, int]:
    """The metric patch, shrunk only where a video is smaller (single images, tiny frames)."""
    return tuple(min([p] + [v.shape[1 + i] for v in videos]) for i, p in enumerate(PATCH))  # type: ignore[return-value]


def _sample(video: torch.Tensor, n: int, patch: tuple[int, int, int], g: torch.Generator) -> torch.Tensor:
    """n random patches of a (3, T, H, W) video -> (n, 3, pt, ph, pw), in score.py's order."""
    _, t, h, w = video.shape
    pt, ph, pw = patch
    it = torch.randint(0, t - pt + 1, (n,), generator=g)
    iy = torch.randint(0, h - ph + 1, (n,), generator=g)
    ix = torch.randint(0, w - pw + 1, (n,), generator=g)
    return torch.stack([video[:, a:a + pt, b:b + ph, d:d + pw]
                        for a, b, d in zip(it.tolist(), iy.tolist(), ix.tolist(), strict=True)])


def nn_distance(queries: torch.Tensor, video: torch.Tensor, patch: tuple[int, int, int] | None = None,
                chunk: int = 24) -> torch.Tensor:
    """RMS distance of each query patch to its nearest patch of `video` (3, T, H, W), exact.

    `queries` are (n, 3, pt, ph, pw) patches, or (n, 3*pt*ph*pw) flattened with `patch`."""
    if queries.dim() == 2:
        assert patch is not None
        queries = queries.reshape(queries.shape[0], video.shape[0], *patch)
    x = video[None]
    ones = torch.ones((1, *queries.shape[1:]), dtype=video.dtype, device=video.device)
    k2 = F.conv3d(x * x, ones)[0, 0]
    q2 = queries.flatten(1).square().sum(1)
    best = []
    for s in range(0, queries.shape[0], chunk):
        q = queries[s:s + chunk]
        d = k2[None] - 2 * F.conv3d(x, q)[0] + q2[s:s + chunk, None, None, None]
        best.append(d.flatten(1).min(1).values)
    d = torch.cat(best).clamp_min(0) / queries[0].numel()
    return d.sqrt()


def _grey(video: torch.Tensor) -> torch.Tensor:
    return (video * torch.tensor(GREY, device=video.device, dtype=video.dtype)).sum(-1)


def score(source: torch.Tensor, outputs: Sequence[torch.Tensor], samples: int = SAMPLES,
          seed: int = 0) -> dict[str, float]:
    """coherence, coherence_p95, completeness, flicker (and diversity for 2+ outputs of one
    shape) of (T, H, W, 3) outputs in [0, 1] against their (T, H, W, 3) source."""
    if source.is_cuda:  # its distances need full float32 (a run sets this; a caller may not)
        from engine.device import exact_convolutions

        exact_convolutions()
    g = torch.Generator().manual_seed(seed)
    shift = source.reshape(-1, 3).mean(0)  # distances do not change; float32 cancellation shrinks
    vin = (source - shift).permute(3, 0, 1, 2).contiguous()
    in_change = (source[1:] - source[:-1]).abs().mean().item() if len(source) > 1 else 0.0
    coh, p95, comp, flick = [], [], [], []
    for o in outputs:
        vo = (o - shift).permute(3, 0, 1, 2).contiguous()
        patch = _patch_for(vin, vo)
        d = nn_distance(_sample(vo, samples, patch, g), vin)
        coh.append(d.mean().item())
        p95.append(d.quantile(0.95).item())
        comp.append(nn_distance(_sample(vin, samples, patch, g), vo).mean().item())
        change = (o[1:] - o[:-1]).abs().mean().item() if len(o) > 1 else 0.0
        flick.append(change / max(in_change, 1e-8))
    r = {"coherence": float(np.mean(coh)), "coherence_p95": float(np.mean(p95)),
         "completeness": float(np.mean(comp)), "flicker": float(np.mean(flick))}
    if len(outputs) > 1 and len({tuple(o.shape) for o in outputs}) == 1:
        stack = torch.stack([_grey(o) for o in outputs])
        spread = float(_grey(source).std())
        if spread > FLAT_SPREAD:  # a flat source has no scale to measure variety by
            r["diversity"] = float(stack.std(0).mean()) / spread
    return r


def quality(source: np.ndarray, outputs: Sequence[np.ndarray], scales: Sequence[float] = (1, 0.25),
            samples: int = SAMPLES) -> dict[str, float]:
    """`score` at several spatial scales, keyed as score.py's multiscale: coherence,
    coherence_p95 and completeness per scale (suffix @s below 1), flicker and diversity
    at full size. Frames are (T, H, W, 3) uint8."""
    src = to_unit(source)
    outs = [to_unit(o) for o in outputs]
    r: dict[str, float] = {}
    for s in scales:
        q = score(scaled(src, s), [scaled(o, s) for o in outs], samples)
        tag = "" if s == 1 else f"@{s:g}"
        r.update({f"{k}{tag}": v for k, v in q.items()
                  if k in ("coherence", "coherence_p95", "completeness") or s == 1})
    return r


def coherence(output: np.ndarray, source: np.ndarray) -> float:
    """Mean distance of sampled output patches to their nearest source patch (lower is better)."""
    return score(to_unit(source), [to_unit(output)])["coherence"]


def completeness(output: np.ndarray, source: np.ndarray) -> float:
    """Mean distance of sampled source patches to their nearest output patch (lower is better)."""
    return score(to_unit(source), [to_unit(output)])["completeness"]


def diversity(outputs: Sequence[np.ndarray], source: np.ndarray) -> float:
    """Mean per-voxel std of grey across outputs of one shape, over the source's grey std."""
    if len(outputs) < 2:
        raise ValueError("diversity needs at least two outputs")
    shapes = {o.shape for o in outputs}
    if len(shapes) != 1:
        raise ValueError(f"diversity needs outputs of one shape, got {sorted(shapes)}")
    spread = float(_grey(to_unit(source)).std())
    if not spread > FLAT_SPREAD:
        raise ValueError("diversity is undefined for a flat source (its grey does not vary)")
    stack = torch.stack([_grey(to_unit(o)) for o in outputs])
    return float(stack.std(0).mean()) / spread
