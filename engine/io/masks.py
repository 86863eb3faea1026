"""Mask and hint layers from files: numbered PNG frames, one image (used for every frame)
or a video, fitted to the clip's frames and size."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from engine.errors import InputError


def _frames_to_mask(frames: np.ndarray) -> np.ndarray:
    return frames.max(axis=-1) > 127


def _fit(frames: np.ndarray, shape: tuple[int, int, int], start: int, what: str, name: str) -> np.ndarray:
    """Match a mask/hint sequence to the clip: same frames, or one frame for all, resized (nearest)."""
    t, h, w = shape
    n = frames.shape[0]
    if n == 1:
        frames = np.repeat(frames, t, axis=0)
    elif n >= start + t and n != t:
        frames = frames[start : start + t]
    elif n != t:
        raise InputError(f"{name}: the {what} has {n} frames but the clip has {t}; give one frame "
                         f"(used for all) or one per frame")
    if frames.shape[1:3] != (h, w):
        ys = (np.arange(h) * frames.shape[1] / h).astype(int)
        xs = (np.arange(w) * frames.shape[2] / w).astype(int)
        frames = frames[:, ys][:, :, xs]
    return np.ascontiguousarray(frames)


def load_mask(path: str | Path, shape: tuple[int, int, int], start: int = 0) -> np.ndarray:
    """A (T, H, W) bool hole from numbered PNG frames, an image or a video (white = hole)."""
    from engine.io.reader import read_video

    name = Path(path).name
    frames = read_video(path).frames
    mask = _fit(_frames_to_mask(frames), shape, start, "mask", name)
    if not mask.any():
        raise InputError(f"{name}: the mask is empty (paint the hole in white)")
    return mask


def load_hints(path: str | Path, shape: tuple[int, int, int], start: int = 0) -> np.ndarray:
    """(T, H, W, 4) RGBA hints: the painted colour, alpha 255 where not black."""
    from engine.io.reader import read_video

    name = Path(path).name
    rgb = _fit(read_video(path).frames, shape, start, "hint video", name)
    alpha = (rgb.max(axis=-1) > 8).astype(np.uint8) * 255
    return np.concatenate([rgb, alpha[..., None]], axis=-1)
