"""Sketches drawn in the editor: brush layers -> sketch frames, key frames filled over time,
and a sketch file read into brush layers. No Qt here.

The editor paints a sketch as a mask layer (ink where painted) and a colour layer (a tone
other than black, where painted with one), on some frames only: the key frames. The frames
between two key frames morph from one drawing to the next: the drawing slides from one
key's centre of ink to the next while its shape morphs (signed distance fields, aligned on
those centres, are blended); frames before the first or after the last key frame hold it.
"""

from __future__ import annotations

import os

import numpy as np

INK = (0, 0, 0)
PAPER = 255
INK_DARKNESS = 0.25  # an imported pixel at least this dark (0 white .. 1 black) is ink


def _signed_distance(ink: np.ndarray) -> np.ndarray:
    """(H, W) bool -> float32, negative inside the ink, positive outside (pixels)."""
    import cv2

    inside = cv2.distanceTransform(ink.astype(np.uint8), cv2.DIST_L2, 3)
    outside = cv2.distanceTransform((~ink).astype(np.uint8), cv2.DIST_L2, 3)
    return outside - inside


def _centroid(ink: np.ndarray) -> np.ndarray:
    ys, xs = np.nonzero(ink)
    return np.array([xs.mean(), ys.mean()])


def _shifted(image: np.ndarray, by: np.ndarray) -> np.ndarray:
    """`image` moved by (dx, dy) pixels; the border is repeated (distances stay sensible)."""
    import cv2

    m = np.float32([[1, 0, by[0]], [0, 1, by[1]]])
    h, w = image.shape[:2]
    return cv2.warpAffine(image, m, (w, h), flags=cv2.INTER_LINEAR if image.dtype == np.float32
                          else cv2.INTER_NEAREST, borderMode=cv2.BORDER_REPLICATE)


def fill_between_keys(ink: np.ndarray, colours: np.ndarray | None = None
                      ) -> tuple[np.ndarray, np.ndarray | None]:
    """Frames with no ink take their key frames' drawing: morphed between two keys, held
    before the first and after the last. ink (T, H, W) bool; colours (T, H, W, 3) uint8 or
    None (the tone of each ink pixel; an in-between frame takes the nearer key's tones).
    Returns new arrays; a sketch with no key frame comes back unchanged."""
    keys = np.flatnonzero(ink.reshape(len(ink), -1).any(1))
    ink = ink.copy()
    colours = None if colours is None else colours.copy()
    if len(keys) == 0 or len(keys) == len(ink):
        return ink, colours
    t = len(ink)
    ink[: keys[0]] = ink[keys[0]]
    ink[keys[-1] + 1 :] = ink[keys[-1]]
    if colours is not None:
        colours[: keys[0]] = colours[keys[0]]
        colours[keys[-1] + 1 :] = colours[keys[-1]]
    for k0, k1 in zip(keys[:-1], keys[1:], strict=True):
        if k1 - k0 < 2:
            continue
        c0, c1 = _centroid(ink[k0]), _centroid(ink[k1])
        d0, d1 = _signed_distance(ink[k0]), _signed_distance(ink[k1])
        for f in range(k0 + 1, k1):
            w = (f - k0) / (k1 - k0)
            c = (1 - w) * c0 + w * c1
            # Both drawings moved to the in-between position, then blended: the drawing
            # slides along while its shape morphs.
            ink[f] = (1 - w) * _shifted(d0, c - c0) + w * _shifted(d1, c - c1) < 0
            if colours is not None:
                colours[f] = _shifted(colours[k0] if w < 0.5 else colours[k1],
                                      c - (c0 if w < 0.5 else c1))
    assert ink.shape[0] == t
    return ink, colours


def sketch_from_layers(ink: np.ndarray, hints: np.ndarray | None = None, *,
                       fill_keys: bool = True) -> np.ndarray:
    """The sketch the engine reads: white paper, black ink, or the painted tone where a
    colour was painted. ink (T, H, W) bool; hints (T, H, W, 4) uint8 RGBA (alpha > 0 where a
    tone is painted) or None. Returns (T, H, W, 3) uint8."""
    if ink.ndim != 3:
        raise ValueError(f"ink must be (T, H, W), got {ink.shape}")
    colours = np.zeros((*ink.shape, 3), np.uint8)
    if hints is not None:
        painted = hints[..., 3] > 0
        colours[painted] = hints[painted][:, :3]
    if fill_keys:
        ink, colours = fill_between_keys(ink, colours)
    out = np.full((*ink.shape, 3), PAPER, np.uint8)
    out[ink] = colours[ink]
    return out


def load_sketch(path: str | os.PathLike[str], shape: tuple[int, int, int]
                ) -> tuple[np.ndarray, np.ndarray]:
    """A sketch file (video, folder of frames or one image) as brush layers for a canvas of
    `shape` (T, H, W): (ink (T, H, W) bool, hints (T, H, W, 4) uint8 with the tone of every
    ink pixel that is not black). One image is used for every frame; a video is stretched
    or cut to T frames (nearest). Raises InputError for an unreadable file."""
    import cv2

    from engine.io import read_video
    from engine.structure import darkness

    t, h, w = shape
    frames = read_video(path, max_side=max(h, w) * 2).frames
    pick = np.minimum((np.arange(t) * len(frames)) // t, len(frames) - 1)
    frames = np.stack([cv2.resize(frames[i], (w, h), interpolation=cv2.INTER_AREA) for i in pick])
    ink = darkness(frames) >= INK_DARKNESS
    hints = np.zeros((t, h, w, 4), np.uint8)
    toned = ink & (frames.max(axis=-1) > 40)  # not black: keep its tone
    hints[toned, :3] = frames[toned]
    hints[toned, 3] = 255
    return ink, hints


# A sketch file whose ink holds this many colours (at 5 bits a channel, the commonest that
# make up 90% of it) is a picture (a photo), not a drawing of a few flat tones: black
# strokes or flat colours, even antialiased or compressed, need under a dozen.
PICTURE_COLOURS = 32


def picture_tones(ink: np.ndarray, hints: np.ndarray) -> int:
    """For brush layers read from a colour picture (load_sketch), how many tones a run
    reads it as (engine.structure.sketch_structure: by darkness alone, darker moves
    faster); 0 for a drawing of a few flat tones, which keeps them. ink (T, H, W) bool,
    hints (T, H, W, 4) uint8."""
    from engine.errors import InputError
    from engine.structure import sketch_structure

    step = max(1, ink.shape[0] // 8)  # as the run's check samples a long sketch
    ink = ink[::step]
    sketch = sketch_from_layers(ink, hints[::step], fill_keys=False)
    colours = sketch[ink] // 8
    if len(colours) == 0:
        return 0
    codes = (colours[:, 0].astype(np.int32) * 32 + colours[:, 1]) * 32 + colours[:, 2]
    counts = np.sort(np.bincount(codes))[::-1]
    if int(np.searchsorted(counts.cumsum(), 0.9 * len(codes))) + 1 < PICTURE_COLOURS:
        return 0
    try:
        return sketch_structure(sketch).levels
    except InputError:
        return 0
