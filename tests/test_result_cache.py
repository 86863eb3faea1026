"""The result cache's budget counts what its results keep alive (a soak audit: 24 editing
cycles grew the editor by 10.6 MB a cycle, the inpaintings' masks never counted)."""

import numpy as np

from app.state.result_cache import ResultCache
from app.state.result_clip import ResultClip
from engine.request import Request

MB = 1024 * 1024


def _clip(seed: int, frames_mb: int = 1, **layers) -> ResultClip:
    frames = np.zeros((frames_mb, 1024, 1024), np.uint8)
    request = Request(task="inpaint" if "mask" in layers else "generate", seed=seed, **layers)
    return ResultClip(frames, level=1, levels=1, request=request, display_size=(1024, 1024),
                      nominal_frames=len(frames))


def test_a_results_mask_and_hints_count_against_the_budget():
    cache = ResultCache(budget_bytes=10 * MB)
    mask = np.zeros((4, 1024, 1024), bool)  # 4 MB
    hints = np.zeros((1, 1024, 1024, 4), np.uint8)  # 4 MB
    cache.put("a", _clip(0, mask=mask, hints=hints))
    assert cache.total_bytes() == 9 * MB
    cache.put("b", _clip(1, frames_mb=2))  # 11 MB: the oldest goes, mask and all
    assert "a" not in cache and "b" in cache and cache.total_bytes() == 2 * MB


def test_a_mask_shared_by_a_grid_counts_once_and_a_view_counts_its_base():
    cache = ResultCache(budget_bytes=100 * MB)
    whole = np.zeros((8, 1024, 1024), bool)  # 8 MB, kept alive by any view of it
    for seed in range(5):
        cache.put(seed, _clip(seed, mask=whole[:2]))
    assert cache.total_bytes() == 5 * MB + 8 * MB
    cache.put(0, _clip(0, mask=whole[:2]))  # the same key again: replaced, not added
    assert len(cache) == 5 and cache.total_bytes() == 13 * MB
    for seed in range(4):
        cache._let_go(cache._items.pop(seed))
    assert cache.total_bytes() == 1 * MB + 8 * MB  # the last holder keeps the mask counted
    cache.clear()
    assert len(cache) == 0 and cache.total_bytes() == 0


def test_the_newest_result_stays_whatever_its_size():
    cache = ResultCache(budget_bytes=1 * MB)
    cache.put("a", _clip(0))
    cache.put("b", _clip(1, frames_mb=3))
    assert list(cache._items) == ["b"] and cache.get("b") is not None
