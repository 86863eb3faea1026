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
"""

from __future__ import annotations

import numpy as np

from app.inpaint.mask_model import MaskChange, MaskModel
from app.inpaint.ops import HOLE
from engine.sketch_layers import FrameDrawings

GHOST = 80  # of 255: how dark a frame's in-between drawing shows (its own ink: 255)


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
        self._between: tuple | None = None  # (_drawn(), key frames, FrameDrawings of them)
        self._pieces = (model.state, 0)  # (state, pieces of a stroke on key frames since)
        self._canvas: tuple | None = None  # (what it shows, the last in-between canvas made)

    def paper(self) -> np.ndarray:
        """The blank canvas shown under the drawing: (H, W, 3) white at the clip's size."""
        _, h, w = self.model.shape
        if self._paper is None or self._paper.shape[:2] != (h, w):
            self._paper = np.full((h, w, 3), 255, np.uint8)
        return self._paper

    def canvas(self, index: int) -> np.ndarray:
        """What the Source pane shows under frame `index`'s own ink: the paper, and on a
        frame that is not a key frame the drawing a run gives it (slid between two key
        frames, or held before the first and after the last), faint, so that scrubbing
        shows the motion and that the frame is not drawn on."""
        paper = self.paper()
        keys = self.model.masked_frames()
        index = min(max(index, 0), len(keys) - 1)
        if keys[index] or not keys.any():
            return paper
        # The same frame of the same drawing: the canvas made last.
        made = (self._drawn(), keys.tobytes(), index, paper.shape)
        if self._canvas is not None and self._canvas[0] == made:
            return self._canvas[1]
        if not self._inked(keys).any():  # an erase stroke emptied every key frame
            return paper
        ys, xs, ink, colours = self.drawing_at(index, keys)
        shown = paper.copy()
        tones = np.zeros((int(ink.sum()), 3), np.uint8) if colours is None else colours[ink]
        # 255 - (255 - tone) * GHOST: black ink becomes a light grey, a tone lighter still.
        shown[ys, xs][ink] = 255 - ((255 - tones.astype(np.uint16)) * GHOST // 255)
        self._canvas = (made, shown)
        return shown

    def drawing_at(self, index: int, keys: np.ndarray) -> tuple:
        """(ys, xs, ink, tones) of what a run draws on frame `index`, not a key frame;
        keys: the model's masked_frames()."""
        drawn, at = self._drawn(), np.flatnonzero(self._inked(keys))
        if self._between is None or self._between[0] != drawn or not np.array_equal(
                self._between[1], at):
            model = self.model
            self._between = (drawn, at, FrameDrawings(
                at, lambda k: model.mask[k] >= HOLE, self._tones))
        return self._between[2].at(index)

    def on_changed(self, change: MaskChange) -> None:
        """A stroke's piece on a key frame changes its drawing; the model's state changes
        only when the stroke ends."""
        keys = self.model.masked_frames()
        if self.model.stroking is not None and keys[change.start : change.stop].any():
            state, pieces = self._drawn()
            self._pieces = (state, pieces + 1)

    def on_edited(self) -> None:
        self._pieces = (self.model.state, 0)  # an edit done, or a stroke ended: a new state

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
