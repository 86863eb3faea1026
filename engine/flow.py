"""Optical-flow magnitude of a clip (OpenCV's DIS), the raw material of a clip's dynamic structure.

The paper uses RAFT; a learned model is out of reach here (no weights to download), so the
flow comes from OpenCV's DIS (dense inverse search), a well-kept classical method that is
fast on a CPU and good at the coarse "where does it move, and how much" the structure needs.

Choices, and why:
- Preset MEDIUM: ULTRAFAST is noisy on water and lava textures, FINE is 3-4x slower for no
  visible change once the magnitude is quantised into a few levels. MEDIUM is also what the
  motion-map check (`engine.guided_checks`) uses.
- Working size: frames are shrunk (area filter) so that the longer side is at most
  `WORK_SIDE` = 512 px before the flow, then the magnitude is scaled back to the clip's
  pixels: the structure is a coarse map (it is quantised and then shrunk into the pyramid),
  and a Full-HD clip would otherwise spend most of a run in the flow.
- Frames: the flow between consecutive frames, t -> t+1 (T-1 fields). Frame t gets the mean
  magnitude of the fields on either side of it (the first and last frame: their one field),
  so a T-frame clip gives T maps centred on the frames, as the pyramid expects.
- Threads: OpenCV runs its own pthreads pool beside torch's OpenMP pool and FFmpeg's decoder
  threads. Left at its default (every core) it oversubscribes the machine when the editor
  computes a structure while a generation runs, so every call sets the count explicitly
  (`threads`, default: up to 4). OpenCL is switched off: DIS only uses it for UMat inputs,
  and a half-working GPU driver must never be touched from a worker thread.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import numpy as np

from engine.errors import Cancelled, InputError

WORK_SIDE = 512
PRESETS = ("ultrafast", "fast", "medium")


def default_threads() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def _cv2():
    try:
        import cv2
    except ImportError as exc:  # pragma: no cover - a broken install
        raise InputError("optical flow needs OpenCV: pip install opencv-python-headless") from exc
    return cv2


def _dis(cv2, preset: str):
    if preset not in PRESETS:
        raise ValueError(f"unknown DIS preset {preset!r}; choose from {', '.join(PRESETS)}")
    code = {"ultrafast": cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST,
            "fast": cv2.DISOPTICAL_FLOW_PRESET_FAST,
            "medium": cv2.DISOPTICAL_FLOW_PRESET_MEDIUM}[preset]
    return cv2.DISOpticalFlow_create(code)


def _grey(cv2, frame: np.ndarray, size: tuple[int, int] | None) -> np.ndarray:
    g = cv2.cvtColor(np.ascontiguousarray(frame), cv2.COLOR_RGB2GRAY)
    if size is not None:
        g = cv2.resize(g, size, interpolation=cv2.INTER_AREA)
    return g


# DIS picks its coarsest scale from the frame's width: a landscape strip under 32 px high
# (16 at MEDIUM) and wider than about 40 px crashes the process natively (a segfault in
# OpenCV 4.14) or fails an assertion inside DIS, and a side under 12 px is refused. Such
# frames are turned on their side and edge-padded to MIN_SIDE before the flow; the
# magnitude does not care.
SAFE_SIDE = 32
MIN_SIDE = 16


def _dis_shape(h: int, w: int) -> tuple[bool, int, int]:
    """(turn, pad rows, pad columns) that make an (h, w) frame safe for DIS."""
    turn = h < SAFE_SIDE and w > h
    if turn:
        h, w = w, h
    return turn, max(0, MIN_SIDE - h), max(0, MIN_SIDE - w)


def _to_dis(g: np.ndarray, shape: tuple[bool, int, int]) -> np.ndarray:
    turn, ph, pw = shape
    if turn:
        g = g.T
    if ph or pw:
        g = np.pad(g, ((0, ph), (0, pw)), mode="edge")
    return np.ascontiguousarray(g)


def _from_dis(mag: np.ndarray, shape: tuple[bool, int, int]) -> np.ndarray:
    turn, ph, pw = shape
    mag = mag[: mag.shape[0] - ph, : mag.shape[1] - pw]
    return mag.T if turn else mag


def work_size(height: int, width: int, max_side: int | None) -> tuple[int, int]:
    """(H, W) the flow is computed at: the clip's own, or shrunk to fit `max_side`."""
    if not max_side or max(height, width) <= max_side:
        return height, width
    s = max_side / max(height, width)
    return max(8, round(height * s)), max(8, round(width * s))


def flow_magnitude(frames: np.ndarray, *, preset: str = "medium", max_side: int | None = WORK_SIDE,
                   out_size: tuple[int, int] | None = None, threads: int | None = None,
                   cancel: Callable[[], bool] | None = None,
                   progress: Callable[[int, int], None] | None = None) -> np.ndarray:
    """Per-frame optical-flow magnitude of a clip.

    frames: (T, H, W, 3) uint8 RGB. Returns (T, H', W') float32, in pixels per frame of the
    clip (or of `out_size` (H', W') when given: the maps are resized and their values
    rescaled to those pixels). A one-frame clip has no motion: all zeros. `cancel()` is
    polled between frames (raises Cancelled); `progress(done, total)` after each field.
    """
    if not isinstance(frames, np.ndarray) or frames.ndim != 4 or frames.shape[-1] != 3 \
            or frames.dtype != np.uint8:
        raise InputError(f"flow needs (T, H, W, 3) uint8 frames, got "
                         f"{getattr(frames, 'shape', None)} {getattr(frames, 'dtype', None)}")
    cv2 = _cv2()
    cv2.setNumThreads(threads or default_threads())
    cv2.ocl.setUseOpenCL(False)
    t, h, w = frames.shape[:3]
    wh, ww = work_size(h, w, max_side)
    size = None if (wh, ww) == (h, w) else (ww, wh)
    oh, ow = out_size or (h, w)
    to_out = float(np.sqrt(ow / ww * oh / wh))  # work pixels -> output pixels
    if t < 2:
        return np.zeros((t, oh, ow), np.float32)
    dis = _dis(cv2, preset)
    shape = _dis_shape(wh, ww)  # each frame turned and padded once, the fields back
    fields = np.empty((t - 1, wh, ww), np.float32)
    prev = _to_dis(_grey(cv2, frames[0], size), shape)
    for i in range(1, t):
        if cancel is not None and cancel():
            raise Cancelled()
        cur = _to_dis(_grey(cv2, frames[i], size), shape)
        f = dis.calc(prev, cur, None)
        fields[i - 1] = _from_dis(np.sqrt(f[..., 0] ** 2 + f[..., 1] ** 2), shape)
        prev = cur
        if progress is not None:
            progress(i, t - 1)
    mags = np.empty((t, wh, ww), np.float32)
    mags[0], mags[-1] = fields[0], fields[-1]
    if t > 2:
        mags[1:-1] = 0.5 * (fields[:-1] + fields[1:])
    if (oh, ow) != (wh, ww):
        mags = np.stack([cv2.resize(m, (ow, oh), interpolation=cv2.INTER_LINEAR) for m in mags])
    return mags * np.float32(to_out)
