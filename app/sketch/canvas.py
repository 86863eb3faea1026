"""What the Sketch task's Source pane shows under the brush layers: white paper, and on a
frame that is not a key frame the drawing a run gives it, faint (engine.sketch_layers
.FrameDrawings), with the words that say what the frame is. Display only: the run's frames
are the engine's (SketchController.sketch_frames).

The in-between drawing is kept while the layers' content and the key frames stay the same,
not counted by change events: the model sends the new key frames (masked_frames_changed)
before the change, and a stroke's pieces change the layers before its end gives them a new
state. Counted by events it was stale (a Clear of the key frame in view failed in
FrameDrawings.at), an undo drew it twice (Full-HD: 180 ms) and an erase over the faint
drawing made it again at every move (80-100 ms a move).

On a large frame the first in-between after a change prepares the two key frames' distance
fields (100-300 ms on Full-HD) and each frame morphs them (25-45 ms): missing() names the
frames to make and preparer() makes them on a worker (SketchController), so the GUI thread
only lays the kept drawings on the paper. The onion
skin shows the frames before and after as a run draws them (the overlay's onion shows only
drawn ink, and the frames between key frames have none).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from app.inpaint.mask_model import MaskChange, MaskModel
from app.inpaint.ops import HOLE
from app.inpaint.render import ONION_NEXT, ONION_PREV
from engine.sketch_layers import FrameDrawings

GHOST = 80  # of 255: how dark a frame's in-between drawing shows (its own ink: 255)
ONION_ALPHA = 127  # of 255: the onion skin's tint over the paper, as the overlay's onion
# A frame this small is drawn on the GUI thread, its key frames prepared too (640x360: under
# 25 ms after a change, 3-5 ms a frame); a larger one's drawings are made on a worker.
SYNC_PIXELS = 640 * 360
KEPT_DRAWINGS = 6  # frames' drawings kept (the frame in view and its onion neighbours)


def _tint(rgb: tuple[int, int, int]) -> np.ndarray:
    return np.array([255 - (255 - c) * ONION_ALPHA // 255 for c in rgb], np.uint8)


def frame_role(keys: np.ndarray, index: int) -> tuple[str, str]:
    """(badge, tooltip) saying what frame `index` of a sketch with key frames `keys` (T,)
    bool is: a key frame, or one a run draws from its key frames (frames count from 1)."""
    if not keys.any():
        return "", ""
    if keys[index]:
        return "Key frame", "This frame is drawn on: a key frame of the sketch."
    drawn = np.flatnonzero(keys) + 1
    later = int(np.searchsorted(drawn, index + 1))
    if later == 0 or later == len(drawn):
        key = drawn[0] if later == 0 else drawn[-1]
        badge, how = f"Holds key {key}", f"holds key frame {key}'s drawing"
    else:
        k0, k1 = drawn[later - 1], drawn[later]
        badge, how = f"Between keys {k0}–{k1}", f"slides from key frame {k0}'s drawing to {k1}'s"
    return badge, (f"Not drawn on: this frame {how}, shown faint as a run draws it. "
                   "Drawing here makes it a key frame with only what you draw.")


class SketchCanvas:
    """The canvas pictures of one sketch model. Tell it of the model's changes and edits
    (on_changed, on_edited); ask it for a frame's picture (canvas) or drawing (drawing_at)."""

    def __init__(self, model: MaskModel) -> None:
        self.model = model
        self._paper: np.ndarray | None = None
        self._between: tuple | None = None  # (*_content(), FrameDrawings of those key frames)
        self._pieces = (model.state, 0)  # (state, pieces of a stroke on key frames since)
        self._canvas: tuple | None = None  # (what it shows, the last canvas made)
        self._drawings: dict[tuple, tuple] = {}  # (drawn, key frames, frame) -> drawing

    def paper(self) -> np.ndarray:
        """The blank canvas shown under the drawing: (H, W, 3) white at the clip's size."""
        _, h, w = self.model.shape
        if self._paper is None or self._paper.shape[:2] != (h, w):
            self._paper = np.full((h, w, 3), 255, np.uint8)
        return self._paper

    def canvas(self, index: int, onion: bool = False) -> np.ndarray:
        """What the Source pane shows under frame `index`'s own ink: the paper, and on a
        frame that is not a key frame the drawing a run gives it (slid between two key
        frames, or held before the first and after the last), faint, so that scrubbing
        shows the motion and that the frame is not drawn on. With `onion`, the frames
        before and after that are not key frames, tinted as the overlay's onion skin tints
        drawn ones (blue, orange), under it."""
        paper = self.paper()
        keys = self.model.masked_frames()
        index = min(max(index, 0), len(keys) - 1)
        own = not keys[index]
        neighbours = self._onion_frames(keys, index) if onion else []
        if not keys.any() or not (own or neighbours):
            return paper
        # The same frame of the same drawing: the canvas made last. On a key frame (which
        # shows only the onion) a stroke's pieces do not count: its neighbours' drawings are
        # those from before the stroke until it ends (made again at every move they took
        # 100-300 ms on Full-HD).
        drawn = self._drawn() if own else self.model.state
        made = (drawn, keys.tobytes(), index, onion, paper.shape)
        if self._canvas is not None and self._canvas[0] == made:
            return self._canvas[1]
        if not self._inked(keys).any():  # an erase stroke emptied every key frame
            return paper
        shown = paper.copy()
        for frame, rgb in neighbours:
            ys, xs, ink, _ = self.drawing_at(frame, keys, before_stroke=not own)
            shown[ys, xs][ink] = _tint(rgb)
        if own:
            ys, xs, ink, colours = self.drawing_at(index, keys)
            tones = np.zeros((int(ink.sum()), 3), np.uint8) if colours is None else colours[ink]
            # 255 - (255 - tone) * GHOST: black ink becomes a light grey, a tone lighter still.
            shown[ys, xs][ink] = 255 - ((255 - tones.astype(np.uint16)) * GHOST // 255)
        self._canvas = (made, shown)
        return shown

    def drawing_at(self, index: int, keys: np.ndarray, before_stroke: bool = False) -> tuple:
        """(ys, xs, ink, tones) of what a run draws on frame `index`, not a key frame;
        keys: the model's masked_frames(). before_stroke: while a stroke goes on, the
        drawing made before it if there is one (the onion skin of the key frame drawn on)."""
        name = self._name(index, keys, before_stroke)
        if name not in self._drawings:
            self._keep(name, self._frame_drawings(keys).at(index))
        return self._drawings[name]

    def missing(self, index: int, onion: bool = False) -> list[int]:
        """The frames whose drawings canvas(index, onion) would make, on a frame larger than
        SYNC_PIXELS: give them to preparer() on a worker. [] when canvas() shows kept
        drawings only. (Preparing the key frames costs 100-300 ms on Full-HD after a
        change, each morph 25-45 ms: three frames with the onion skin.)"""
        _, h, w = self.model.shape
        keys = self.model.masked_frames()
        if h * w <= SYNC_PIXELS or not keys.any() or not self._inked(keys).any():
            return []
        index = min(max(index, 0), len(keys) - 1)
        own = not keys[index]
        frames = [index] if own else []
        frames += [frame for frame, _ in self._onion_frames(keys, index)] if onion else []
        return [f for f in frames
                if self._name(f, keys, before_stroke=not own and f != index) not in self._drawings]

    def preparer(self, frames: list[int]) -> Callable[[], tuple]:
        """Work for a worker thread: makes the drawings of `frames` (missing()), preparing
        their key frames. Give what it returns to keep() on the GUI thread, which keeps it
        if the drawing has not changed meanwhile (then the work read layers in the middle
        of a change, and its FrameDrawings, no longer the canvas's, is dropped with it)."""
        keys = self.model.masked_frames()
        drawings = self._frame_drawings(keys)
        names = [self._name(f, keys) for f in frames]
        return lambda: (drawings, names, [drawings.at(f) for f in frames])

    def keep(self, made: tuple) -> None:
        """Keep what a preparer() made, unless the drawing changed since it began."""
        drawings, names, results = made
        keys = self.model.masked_frames()
        if self._between is None or self._between[2] is not drawings \
                or self._between[:2] != self._content(keys):
            return
        for name, result in zip(names, results, strict=True):
            if name == self._name(name[2], keys):
                self._keep(name, result)

    def _keep(self, name: tuple, drawing: tuple) -> None:
        self._drawings[name] = drawing
        while len(self._drawings) > KEPT_DRAWINGS:
            del self._drawings[next(iter(self._drawings))]  # the oldest first

    def _name(self, frame: int, keys: np.ndarray, before_stroke: bool = False) -> tuple:
        """What names frame's drawing: the layers' content (a stroke's pieces count) and
        the key frames; before_stroke: see drawing_at."""
        drawn = self._drawn()
        if before_stroke and self.model.stroking is not None:
            before = ((self.model.state, 0), keys.tobytes(), frame)
            if before in self._drawings:
                return before
        return drawn, keys.tobytes(), frame

    def _frame_drawings(self, keys: np.ndarray) -> FrameDrawings:
        content = self._content(keys)
        if self._between is None or self._between[:2] != content:
            model = self.model
            at = np.frombuffer(content[1], np.int64)
            self._between = (*content, FrameDrawings(
                at, lambda k: model.mask[k] >= HOLE, self._tones))
        return self._between[2]

    def _content(self, keys: np.ndarray) -> tuple[tuple[int, int], bytes]:
        """What names the layers' content and the key frames that hold ink (keys: the
        model's masked_frames())."""
        return self._drawn(), np.flatnonzero(self._inked(keys)).astype(np.int64).tobytes()

    @staticmethod
    def _onion_frames(keys: np.ndarray, index: int) -> list[tuple[int, tuple[int, int, int]]]:
        """(frame, tint) of the onion skin's frames that are not key frames (the overlay's
        onion shows the key frames' ink itself)."""
        return [(f, rgb) for f, rgb in ((index - 1, ONION_PREV), (index + 1, ONION_NEXT))
                if 0 <= f < len(keys) and not keys[f]]

    def on_changed(self, change: MaskChange) -> None:
        """A stroke's piece on a key frame changes its drawing; the model's state changes
        only when the stroke ends."""
        keys = self.model.masked_frames()
        if self.model.stroking is not None and keys[change.start : change.stop].any():
            state, pieces = self._drawn()
            self._pieces = (state, pieces + 1)

    def on_edited(self) -> None:
        self._pieces = (self.model.state, 0)  # an edit done, or a stroke ended: a new state

    def content(self) -> tuple:
        """What names the layers' content and key frames now (a stroke's pieces count): a
        worker's failure on content that changed since it began is a torn read, no fault."""
        return self._content(self.model.masked_frames())

    def _inked(self, keys: np.ndarray) -> np.ndarray:
        """The key frames that hold ink now. An erase stroke says which frames it emptied
        when it ends (MaskModel.end_stroke): until then a key frame it emptied (Applies to:
        All frames, over a frame between keys) had no centre of ink, and making the frame
        in view failed at every move of the stroke."""
        stroke = self.model.stroking
        if stroke is None or stroke[0] != "erase":
            return keys
        keys, frames = keys.copy(), stroke[1]
        for k in np.flatnonzero(keys[frames]) + frames.start:
            keys[k] = self.model.mask[k].max() >= HOLE
        return keys

    def _drawn(self) -> tuple[int, int]:
        """What names the layers' content: MaskModel.state (set before the model says what
        changed, and an undo gives back the number of the content it restores), and the
        pieces on key frames of a stroke not yet ended (its state comes at its end)."""
        state, pieces = self._pieces
        return self.model.state, pieces if state == self.model.state else 0

    def _tones(self, key: int) -> np.ndarray | None:
        """Key frame `key`'s tones (H, W, 3): the painted tone where a tone was painted in
        the ink, black elsewhere (as MaskModel.as_request_arrays gives a run); None for
        black ink only."""
        if not self.model.hinted:
            return None
        hints = self.model.hints[key]
        painted = (hints[..., 3] >= HOLE) & (self.model.mask[key] >= HOLE)
        if not painted.any():
            return None
        tones = np.zeros((*painted.shape, 3), np.uint8)
        tones[painted] = hints[painted][:, :3]
        return tones
