"""Estimated remaining time of a coarse-to-fine run, from the levels seen so far."""

from __future__ import annotations

from engine.config import Settings

_DEFAULTS = Settings()
# Voxels grow by about this much from one level to the next (1 / (0.82^2 * 0.87)).
DEFAULT_GROWTH = 1.0 / (_DEFAULTS.spatial_factor**2 * _DEFAULTS.temporal_factor)


def remaining_seconds(history: list[tuple[int, float]], levels: int) -> float | None:
    """Seconds left, estimated as time per voxel so far x voxels still to compute.

    history: (voxels of the level, seconds elapsed when it arrived) for levels 1..k, in
    order. Later levels are assumed to grow like the last two did. None when unknown.
    """
    if not history or levels <= 0:
        return None
    k = len(history)
    if k >= levels:
        return 0.0
    voxels, elapsed = history[-1]
    if k >= 2:
        prev_voxels, prev_elapsed = history[-2]
        growth = voxels / prev_voxels if prev_voxels > 0 else DEFAULT_GROWTH
        growth = min(max(growth, 1.0), 4.0)
        per_voxel = max(elapsed - prev_elapsed, 0.0) / max(voxels, 1)
    else:
        growth = DEFAULT_GROWTH
        per_voxel = elapsed / max(voxels, 1)
    remaining_voxels = sum(voxels * growth**j for j in range(1, levels - k + 1))
    return per_voxel * remaining_voxels


def format_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes} min {secs:02d} s"
