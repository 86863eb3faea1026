"""Estimated remaining time of a coarse-to-fine run, from the levels seen so far."""

from __future__ import annotations

from engine.config import Settings

_DEFAULTS = Settings()
# Voxels grow by about this much from one level to the next (1 / (0.82^2 * 0.87)).
DEFAULT_GROWTH = 1.0 / (_DEFAULTS.spatial_factor**2 * _DEFAULTS.temporal_factor)


# Below this share of the output's voxels, a level's time is mostly fixed costs: a rate
# read from it would promise minutes for a run of seconds, so no estimate is shown yet.
KNOWN_FROM = 0.05


def remaining_seconds(history: list[tuple[int, float]], levels: int,
                      final_voxels: int = 0) -> float | None:
    """Seconds left, estimated as time per voxel of the last level x voxels still to compute.

    history: (voxels of the level, seconds elapsed when it arrived) for levels 1..k, in
    order. final_voxels: the output's size, where known (the levels grow evenly up to it);
    else later levels are assumed to grow like the last two did. None when unknown yet.
    """
    if not history or levels <= 0:
        return None
    k = len(history)
    if k >= levels:
        return 0.0
    voxels, elapsed = history[-1]
    if final_voxels and voxels < KNOWN_FROM * final_voxels:
        return None
    if k >= 2:
        prev_voxels, prev_elapsed = history[-2]
        per_voxel = max(elapsed - prev_elapsed, 0.0) / max(voxels, 1)
    else:
        per_voxel = elapsed / max(voxels, 1)
    if final_voxels:
        growth = max(final_voxels / max(voxels, 1), 1.0) ** (1 / (levels - k))
    elif k >= 2:
        growth = voxels / prev_voxels if prev_voxels > 0 else DEFAULT_GROWTH
        growth = min(max(growth, 1.0), 4.0)
    else:
        growth = DEFAULT_GROWTH
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
