"""Sketches drawn in the editor: brush layers -> sketch frames, key frames filled over time,
and a sketch file read into brush layers. No Qt here.

The editor paints a sketch as a mask layer (ink where painted) and a colour layer (a tone
other than black, where painted with one), on some frames only: the key frames. The frames
between two key frames morph from one drawing to the next: the drawing slides from one
key's centre of ink to the next while its shape morphs (signed distance fields, aligned on
those centres, are blended and cut where they hold as much ink as the two keys, weighed);
frames before the first or after the last key frame hold it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from engine.errors import Cancelled

INK = (0, 0, 0)
PAPER = 255
# An imported pixel at least this dark (0 white .. 1 black) is ink: what a run reads as drawn
# (engine.structure.INK). At 0.25 a light tone (grey 200, a yellow) drawn in the editor,
# exported and imported again came back as paper, where the run had made it a level.
INK_DARKNESS = 0.15
BOX_MARGIN = 16  # pixels around two keys' ink and their slide where one frame is drawn


def _signed_distance(ink: np.ndarray) -> np.ndarray:
    """(H, W) bool -> float32, negative inside the ink, positive outside (pixels). Exact
    distances: a 3x3 mask's sums depend on where the scan starts, so a box of the frame
    (FrameDrawings) would not give the whole frame's values."""
    import cv2

    inside = cv2.distanceTransform(ink.astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    outside = cv2.distanceTransform((~ink).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
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


def _nearest_tones(ink: np.ndarray, colours: np.ndarray) -> np.ndarray:
    """colours (H, W, 3) spread from the ink to every pixel: each takes the tone of its
    nearest ink pixel. An in-between frame's ink reaches past the nearer key's (a drawing
    that grows, or morphs into another): there it took the black of the paper's colours, so
    a grey drawing slid through a black (fastest moving) rim. The nearest ink pixel by the
    distance transform's labels (a 5x5 mask; a box holding all the ink gives the same)."""
    import cv2

    tones = colours[ink]
    if not tones.any():
        return colours  # black ink only (or none): black everywhere
    _, labels = cv2.distanceTransformWithLabels((~ink).astype(np.uint8), cv2.DIST_L2, 5,
                                                labelType=cv2.DIST_LABEL_PIXEL)
    # labels number the ink pixels 1.. in raster order; a tone as one 32-bit word is picked
    # 3x faster than three bytes (a Full-HD key: 42 -> 30 ms).
    words = np.zeros(len(tones) + 1, np.uint32)
    words[1:].view(np.uint8).reshape(-1, 4)[:, :3] = tones
    return words[labels].view(np.uint8).reshape(*ink.shape, 4)[..., :3]


@dataclass(frozen=True)
class KeyDrawing:
    """One key frame's drawing, ready to morph: its ink (H, W) bool, the tone (H, W, 3)
    uint8 of each pixel's nearest ink pixel or None, its signed distance field and its
    centre of ink."""

    ink: np.ndarray
    colours: np.ndarray | None
    distance: np.ndarray
    centre: np.ndarray

    @classmethod
    def of(cls, ink: np.ndarray, colours: np.ndarray | None = None,
           centre: np.ndarray | None = None) -> KeyDrawing:
        """centre: the centre of ink when the caller has it (else found here)."""
        if colours is not None:
            colours = _nearest_tones(ink, colours)
        return cls(ink, colours, _signed_distance(ink),
                   _centroid(ink) if centre is None else centre)


def morph(a: KeyDrawing, b: KeyDrawing, w: float) -> tuple[np.ndarray, np.ndarray | None]:
    """The drawing a fraction w (0..1) of the way from key a to key b: both drawings moved to
    the in-between position, then blended, so the drawing slides along while its shape
    morphs. Takes the nearer key's tones (its nearest ink's, past its ink). Returns
    (ink (H, W) bool, colours or None)."""
    ink, colours, _ = _morph(a, b, w)
    return ink, colours


def _morph(a: KeyDrawing, b: KeyDrawing, w: float
           ) -> tuple[np.ndarray, np.ndarray | None, float]:
    """morph, and the level of the blended distance fields that bounds the ink. The blend
    is cut where it holds as much ink as the keys hold between them (their areas weighed
    by w), not at 0: two drawings that do not overlap once centred (two unrelated strokes,
    one blob and two) blend to little or no ink at 0, and a run then moves nothing there."""
    w = float(w)
    c = (1 - w) * a.centre + w * b.centre
    # In place, in float32 (the fields' own type): float64 temporaries of a Full-HD frame
    # took 80 ms a frame on the GUI thread while scrubbing the editor's canvas.
    blend = _shifted(a.distance, c - a.centre)
    blend *= np.float32(1 - w)
    other = _shifted(b.distance, c - b.centre)
    other *= np.float32(w)
    blend += other
    area = int(round((1 - w) * np.count_nonzero(a.ink) + w * np.count_nonzero(b.ink)))
    area = min(max(area, 1), blend.size)
    level = float(np.partition(blend, area - 1, axis=None)[area - 1])
    near = a if w < 0.5 else b
    colours = None if near.colours is None else _shifted(near.colours, c - near.centre)
    return blend <= level, colours, level


def fill_between_keys(ink: np.ndarray, colours: np.ndarray | None = None,
                      cancel: Callable[[], bool] | None = None,
                      progress: Callable[[int, int], None] | None = None
                      ) -> tuple[np.ndarray, np.ndarray | None]:
    """Frames with no ink take their key frames' drawing: morphed between two keys, held
    before the first and after the last. ink (T, H, W) bool; colours (T, H, W, 3) uint8 or
    None (the tone of each ink pixel; an in-between frame takes the nearer key's tones).
    Returns new arrays; a sketch with no key frame comes back unchanged. cancel() is asked
    at every frame made (seconds for a long Full-HD clip; Cancelled); progress(made, total)
    told after each, total being the frames morphed between keys."""
    keys = np.flatnonzero(ink.reshape(len(ink), -1).any(1))
    ink = ink.copy()
    colours = None if colours is None else colours.copy()
    if len(keys) == 0 or len(keys) == len(ink):
        return ink, colours
    ink[: keys[0]] = ink[keys[0]]
    ink[keys[-1] + 1 :] = ink[keys[-1]]
    if colours is not None:
        colours[: keys[0]] = colours[keys[0]]
        colours[keys[-1] + 1 :] = colours[keys[-1]]
    total, made = int(np.maximum(np.diff(keys) - 1, 0).sum()), 0
    for k0, k1 in zip(keys[:-1], keys[1:], strict=True):
        if k1 - k0 < 2:
            continue
        a, b = (KeyDrawing.of(ink[k], None if colours is None else colours[k]) for k in (k0, k1))
        for f in range(k0 + 1, k1):
            if cancel is not None and cancel():
                raise Cancelled()
            ink[f], tones = morph(a, b, (f - k0) / (k1 - k0))
            if colours is not None:
                colours[f] = tones
            made += 1
            if progress is not None:
                progress(made, total)
    return ink, colours


class FrameDrawings:
    """The drawing fill_between_keys gives one frame, without filling the whole clip (the
    editor shows the frame in view under its canvas; a whole long clip takes seconds).
    ink_of(k) and colours_of(k) read key frame k's ink (H, W) bool and tones (H, W, 3)
    uint8 or None. Work is done in the box around two keys' ink, padded by twice their
    slide and a margin: the ink's level (_morph) is checked to lie inside it, so the box
    gives the same drawing as the whole frame (else the whole frame is used). Each pair of
    keys is prepared once."""

    def __init__(self, keys: np.ndarray, ink_of: Callable[[int], np.ndarray],
                 colours_of: Callable[[int], np.ndarray | None]) -> None:
        self.keys = np.asarray(keys)
        self._ink_of, self._colours_of = ink_of, colours_of
        self._pairs: dict[tuple[int, int], tuple] = {}

    def at(self, frame: int) -> tuple[slice, slice, np.ndarray, np.ndarray | None] | None:
        """(ys, xs, ink, colours) of the box that holds frame's drawing; None on a key frame
        (its own drawing) or with no key frame at all."""
        keys = self.keys
        if len(keys) == 0 or frame in keys:
            return None
        later = int(np.searchsorted(keys, frame))
        k0 = int(keys[max(later - 1, 0)])
        k1 = int(keys[min(later, len(keys) - 1)])
        if k0 == k1:  # before the first key or after the last: held, as it is
            return self._held(k0)
        ys, xs, a, b, safe = self._pair(k0, k1)
        ink, colours, level = _morph(a, b, (frame - k0) / (k1 - k0))
        if level >= safe:  # the ink's level reaches past the box: the whole frame
            ys, xs, a, b, _ = self._pair(k0, k1, whole=True)
            ink, colours, level = _morph(a, b, (frame - k0) / (k1 - k0))
        return ys, xs, ink, colours

    def _held(self, key: int) -> tuple:
        """(ys, xs, ink, colours) of key frame `key`'s own drawing, in its ink's box. Not a
        pair of the key with itself: that took four distance fields (and two spreads of its
        tones) never used, 90-130 ms on the GUI thread for a large Full-HD drawing."""
        if (key, key, False) not in self._pairs:
            ink = self._ink_of(key)
            ys, xs = (np.flatnonzero(ink.any(axis=axis)) for axis in (1, 0))
            ys, xs = slice(int(ys[0]), int(ys[-1]) + 1), slice(int(xs[0]), int(xs[-1]) + 1)
            colours = self._colours_of(key)
            self._pairs[(key, key, False)] = (ys, xs, ink[ys, xs].copy(),
                                              None if colours is None else colours[ys, xs].copy())
        return self._pairs[(key, key, False)]

    def _pair(self, k0: int, k1: int, whole: bool = False) -> tuple:
        """(ys, xs, key k0's drawing, key k1's, safe): the two keys in their box, where a
        level of the blend under `safe` bounds the same ink as in the whole frame."""
        if (k0, k1, whole) not in self._pairs:
            inks = [self._ink_of(k) for k in (k0, k1)]
            h, w = inks[0].shape
            ys0, xs0 = np.nonzero(inks[0])
            ys1, xs1 = np.nonzero(inks[1])
            if len(xs0) == 0 or len(xs1) == 0:  # (a layer read while an edit empties it)
                raise ValueError(f"key frame {k0 if len(xs0) == 0 else k1} holds no ink")
            centres = [np.array([xs0.mean(), ys0.mean()]), np.array([xs1.mean(), ys1.mean()])]
            slide = float(np.hypot(*(centres[1] - centres[0])))
            pad = h + w if whole else 2 * int(np.ceil(slide)) + BOX_MARGIN
            ys = slice(int(max(0, min(ys0.min(), ys1.min()) - pad)),
                       int(min(h, max(ys0.max(), ys1.max()) + 1 + pad)))
            xs = slice(int(max(0, min(xs0.min(), xs1.min()) - pad)),
                       int(min(w, max(xs0.max(), xs1.max()) + 1 + pad)))
            # A pixel outside the box, or one whose moved distances the box's edge repeats,
            # lies at least pad - slide from both moved drawings (exact distances; sampling
            # between pixels may say up to 2 less).
            safe = np.inf if (ys, xs) == (slice(0, h), slice(0, w)) else pad - slide - 2
            drawings = []
            for k, ink, centre in zip((k0, k1), inks, centres, strict=True):
                colours = self._colours_of(k)
                drawings.append(KeyDrawing.of(  # the centre found above, in the box
                    ink[ys, xs].copy(), None if colours is None else colours[ys, xs].copy(),
                    centre - (xs.start, ys.start)))
            self._pairs[(k0, k1, whole)] = (ys, xs, *drawings, safe)
        return self._pairs[(k0, k1, whole)]


def sketch_from_layers(ink: np.ndarray, hints: np.ndarray | None = None, *,
                       fill_keys: bool = True,
                       cancel: Callable[[], bool] | None = None,
                       progress: Callable[[int, int], None] | None = None) -> np.ndarray:
    """The sketch the engine reads: white paper, black ink, or the painted tone where a
    colour was painted. ink (T, H, W) bool; hints (T, H, W, 4) uint8 RGBA (alpha > 0 where a
    tone is painted) or None. Returns (T, H, W, 3) uint8. cancel and progress: as
    fill_between_keys's."""
    if ink.ndim != 3:
        raise ValueError(f"ink must be (T, H, W), got {ink.shape}")
    colours = np.zeros((*ink.shape, 3), np.uint8)
    if hints is not None:
        painted = hints[..., 3] > 0
        colours[painted] = hints[painted][:, :3]
    if fill_keys:
        ink, colours = fill_between_keys(ink, colours, cancel, progress)
    out = np.full((*ink.shape, 3), PAPER, np.uint8)
    out[ink] = colours[ink]
    return out


def load_sketch(path: str | os.PathLike[str], shape: tuple[int, int, int],
                cancel: Callable[[], bool] | None = None,
                progress: Callable[[int, int], None] | None = None
                ) -> tuple[np.ndarray, np.ndarray]:
    """A sketch file (video, folder of frames or one image) as brush layers for a canvas of
    `shape` (T, H, W): (ink (T, H, W) bool, hints (T, H, W, 4) uint8 with the tone of every
    ink pixel that is not black). One image is used for every frame; a video is stretched
    or cut to T frames (nearest). Raises InputError for an unreadable file. cancel and
    progress: read_video's."""
    import cv2

    from engine.io import read_video
    from engine.structure import darkness

    t, h, w = shape
    frames = read_video(path, max_side=max(h, w) * 2, cancel=cancel, progress=progress).frames
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
# A grey picture has at most 32 such colours, so its darkness tells it instead: in a drawing
# of flat tones (even as a low-quality JPEG) nearly all the ink 2 pixels inside its edges
# lies within a bin of one of its tones' peaks (0.98-1.0 measured; a soft-edged stroke
# drawn with a blurred brush, the paper's digit sketch, 0.90); in a photo, grey or colour,
# much of it lies on the slopes between them (0.53-0.78 on frames of seven clips).
PICTURE_TONE_SHARE = 0.85


def picture_tones(ink: np.ndarray, hints: np.ndarray) -> int:
    """For brush layers read from a picture (load_sketch), how many tones a run reads it as
    (engine.structure.sketch_structure: by darkness alone, darker moves faster); 0 for a
    drawing of a few flat tones, which keeps them. ink (T, H, W) bool, hints (T, H, W, 4)
    uint8."""
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
    many_colours = int(np.searchsorted(counts.cumsum(), 0.9 * len(codes))) + 1 >= PICTURE_COLOURS
    if not (many_colours or _shaded(ink, sketch)):
        return 0
    try:
        return sketch_structure(sketch).levels
    except InputError:
        return 0


def _shaded(ink: np.ndarray, sketch: np.ndarray) -> bool:
    """Whether the ink's darkness is shaded (a picture) rather than a few flat tones: the
    share of the ink 2 pixels inside its edges (antialiased, compressed or soft edges take
    any tone) whose darkness lies within a bin of a peak (engine.structure.tone_peaks) is
    under PICTURE_TONE_SHARE. ink (T, H, W) bool; sketch (T, H, W, 3) uint8."""
    import cv2

    from engine.structure import darkness, tone_peaks

    disc = np.ones((5, 5), np.uint8)
    inner = np.stack([cv2.erode(frame.view(np.uint8), disc) for frame in ink]).view(bool)
    dark = darkness(sketch[inner])
    if len(dark) == 0:  # strokes too thin to have an inside: a drawing
        return False
    bins = 32
    hist, _ = np.histogram(dark, bins=bins, range=(0.0, 1.0))
    near = np.zeros(bins, bool)
    for peak in tone_peaks(dark, bins=bins):
        near[max(0, peak - 1) : peak + 2] = True
    return hist[near].sum() < PICTURE_TONE_SHARE * len(dark)
