"""The engine's colour range: video tensors hold colours in [-1, 1], which are the 256
levels of an 8-bit source exactly; frames on disk and on screen are those levels as bytes."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from engine.errors import Cancelled


def to_codes(colours: torch.Tensor) -> torch.Tensor:
    """Colours in [-1, 1] -> the nearest of the 256 levels, as bytes (values outside the
    range are clamped)."""
    return colours.add(1.0).mul_(127.5).round_().clamp_(0, 255).to(torch.uint8)


def from_codes(codes: torch.Tensor, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Bytes -> colours in [-1, 1]."""
    return codes.to(dtype).div_(127.5).sub_(1.0)


CHUNK_PIXELS = 8_000_000  # frames converted at a time: about four Full-HD ones


def to_tensor(frames: np.ndarray, device: torch.device,
              cancel: Callable[[], bool] | None = None) -> torch.Tensor:
    """(T, H, W, 3) uint8 -> (3, T, H, W) float32 in [-1, 1]. A few frames at a time, with
    cancel() asked between them (Cancelled): 64 Full-HD frames took 1.5-4 s in one step that
    a Cancel could not stop, and the chunks are faster (no clip-sized temporary)."""
    t, h, w = frames.shape[:3]
    out = torch.empty((3, t, h, w), dtype=torch.float32, device=device)
    step = max(1, CHUNK_PIXELS // max(1, h * w))
    for i in range(0, t, step):
        if cancel is not None and cancel():
            raise Cancelled()
        x = torch.from_numpy(np.ascontiguousarray(frames[i : i + step])).to(device)
        out[:, i : i + step] = from_codes(x.permute(3, 0, 1, 2))
    return out


def to_frames(video: torch.Tensor) -> np.ndarray:
    """(3, T, H, W) in [-1, 1] -> (T, H, W, 3) uint8."""
    return to_codes(video).permute(1, 2, 3, 0).contiguous().cpu().numpy()
