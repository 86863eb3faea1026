"""Masks and hint colours to and from numbered PNG frames, through the engine's I/O.

Mask frames: white = hole. Hint frames: the painted colour, black where nothing is painted.
A single image (or one frame) is used for every frame; other sizes are resized (nearest).
"""

from __future__ import annotations

from fractions import Fraction
from os import PathLike
from pathlib import Path

import numpy as np

from engine.errors import InputError

PNG_FPS = Fraction(25)  # PNG frames carry no rate; any will do


def _read(path: str | PathLike[str]) -> np.ndarray:
    from engine.io import read_video  # PyAV loads only when a file is actually read

    return read_video(path).frames


def fit_frames(frames: np.ndarray, shape: tuple[int, int, int], name: str) -> np.ndarray:
    """(N, h, w, ...) frames to the clip's (T, H, W): one frame repeats, sizes resize."""
    t, h, w = shape
    if len(frames) == 1 and t > 1:
        frames = np.repeat(frames, t, axis=0)
    elif len(frames) != t:
        raise InputError(f"{name}: has {len(frames)} frames but the clip has {t}; use one "
                         "frame for all, or one per frame")
    if frames.shape[1:3] != (h, w):
        rows = np.minimum((np.arange(h) + 0.5) * frames.shape[1] / h, frames.shape[1] - 1)
        cols = np.minimum((np.arange(w) + 0.5) * frames.shape[2] / w, frames.shape[2] - 1)
        frames = frames[:, rows.astype(int)][:, :, cols.astype(int)]
    return np.ascontiguousarray(frames)


def load_mask(path: str | PathLike[str], shape: tuple[int, int, int]) -> np.ndarray:
    """(T, H, W) uint8 coverage, 255 where the picture is bright (any channel > 127)."""
    rgb = _read(path)
    hole = rgb.max(axis=-1) > 127
    return fit_frames(hole, shape, Path(path).name).astype(np.uint8) * 255


def load_hints(path: str | PathLike[str], shape: tuple[int, int, int]) -> np.ndarray:
    """(T, H, W, 4) RGBA: the colour with alpha 255 where not (nearly) black."""
    rgb = fit_frames(_read(path), shape, Path(path).name)
    alpha = np.where(rgb.max(axis=-1) > 8, 255, 0).astype(np.uint8)
    rgba = np.concatenate([rgb, alpha[..., None]], axis=-1)
    rgba[alpha == 0] = 0
    return rgba


def hints_folder_for(folder: str | PathLike[str]) -> Path:
    """Where hint colours go beside a mask folder: "<name>_hints"."""
    p = Path(folder).expanduser()
    return p.with_name(p.name + "_hints")


def save_png(mask: np.ndarray, hints: np.ndarray | None, folder: str | PathLike[str],
             hints_folder: str | PathLike[str] | None = None) -> list[Path]:
    """Write mask (T, H, W) bool as white-on-black PNG frames, and hints (T, H, W, 4) RGBA as
    RGB frames (black where unpainted) when given. Each folder appears complete or not at all."""
    from engine.io import write_video

    written = [_write(write_video, np.repeat((mask.astype(np.uint8) * 255)[..., None], 3, -1),
                      folder)]
    if hints is not None:
        rgb = np.where(hints[..., 3:] > 0, hints[..., :3], 0).astype(np.uint8)
        written.append(_write(write_video, rgb, hints_folder or hints_folder_for(folder)))
    return written


def _write(write_video, frames: np.ndarray, folder: str | PathLike[str]) -> Path:
    text = str(Path(folder).expanduser())
    # A trailing separator tells the writer "a folder of frames", even if it does not exist.
    return write_video(np.ascontiguousarray(frames), text.rstrip("/\\") + "/", fps=PNG_FPS)
