"""The mask layer of the Inpaint task: hole coverage and hint colours for every frame.

Painted with strokes and edited with clear / invert / grow / shrink. Undo keeps history
atoms (app.inpaint.history): one atom per stroke or edit, in a byte budget. The model knows
nothing about Qt or widgets; views subscribe to its events (app.state.events).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, replace
from os import PathLike

import numpy as np

from app.inpaint import mask_io, ops
from app.inpaint.history import Atom, Flip, History, Patch, patch_unchanged, swap, take_patch
from app.inpaint.ops import HOLE
from app.state.events import Event
from app.state.project_file import SnapshotStale
from app.state.release import let_go
from engine.errors import EngineError

TILE = 64  # a stroke saves old values tile by tile, the first time it reaches a tile
UNDO_BUDGET = 256 * 2**20  # bytes over all undo + redo atoms; the oldest go first
KINDS = ("remove", "hint", "erase")
SCOPES = ("frame", "range", "all")


@dataclass(frozen=True)
class MaskChange:
    """What changed: frames [start, stop), and the (y0, y1, x0, x1) box or None = whole."""

    start: int
    stop: int
    box: tuple[int, int, int, int] | None = None


class LayersChanged(EngineError):
    """The layers were painted on while a run's worker read them (after Generate): the run
    is made again from the layers as they are then (GenerationRunner.layers_changed)."""

    def __init__(self) -> None:
        super().__init__("The mask was painted on while it was read for this run; run it "
                         "again.")


@dataclass
class _Stroke:
    frames: slice
    kind: str
    radius: float
    hardness: float
    color: np.ndarray  # (3,) uint8
    last: tuple[float, float] | None = None
    saved: dict | None = None  # (tile_y, tile_x) -> Patch


class MaskModel:
    """mask (T, H, W) uint8 coverage (>= HOLE is hole) and hints (T, H, W, 4) RGBA (alpha > 0
    where a hint colour is painted; hint pixels are hole pixels too).

    Events: changed(MaskChange) for every painted piece (redraws), masked_frames_changed
    ((T,) bool, only when it differs), history_changed(), and edited() once per finished
    stroke, edit, undo or redo (what a project counts as an unsaved change)."""

    # Which content the layers hold: a new number for every edit, and undo or redo gives
    # back the number of the content it restores (MaskModel.state).
    _states = itertools.count(1)

    def __init__(self, shape: tuple[int, int, int], budget: int = UNDO_BUDGET) -> None:
        self.changed = Event()
        self.masked_frames_changed = Event()
        self.history_changed = Event()
        self.edited = Event()
        self._budget = budget
        self.reset(shape)

    # --- state -------------------------------------------------------------------------
    def reset(self, shape: tuple[int, int, int]) -> None:
        """An empty mask for a clip of (T, H, W); the history is dropped."""
        t, h, w = (int(s) for s in shape)
        if min(t, h, w) < 1:
            raise ValueError(f"mask shape must be positive, got {shape}")
        self.shape = (t, h, w)
        # Which reset this is: work started on the layers before (an import read on a
        # worker) is dropped after one, even for another clip of the same size.
        self.resets = getattr(self, "resets", 0) + 1
        self._wrote()
        old = self._held()
        self.mask = ops.zeros((t, h, w), np.uint8)  # pages taken as they are painted
        self.hints = ops.zeros((t, h, w, 4), np.uint8)
        self._words = ops.rgba_words(self.hints)  # (T, H, W) uint32 view: a pixel's RGBA
        # False: no hint colour was ever put in the layers, hints is all zero (a snapshot
        # and an Invert then skip the array four times the mask's size); True: there may be.
        self.hinted = False
        self.state = next(self._states)
        self._frame_states = np.full(t, self.state, np.int64)  # see range_state
        self._masked = np.zeros(t, bool)
        self._extent: list[int] | None = None  # see extent()
        self._hint_extent: list[int] | None = None  # see _hint_box()
        self._history = History(self._budget)
        self._stroke: _Stroke | None = None
        _let_go(old)
        self.changed.emit(MaskChange(0, t))
        self.masked_frames_changed.emit(self._masked.copy())
        self.history_changed.emit()

    def load(self, mask: np.ndarray, hints: np.ndarray | None,
             box: tuple[slice, slice, slice] | None = None, *,
             masked: np.ndarray | None = None, hinted: bool | None = None,
             take: bool = False) -> None:
        """Take saved layers as they are (a project or a recovery file): no undo step.
        hints None: no hint colour. box: a (t, y, x) box outside which both layers are 0 (a
        project file's crop); None: found. masked ((T,) bool, the frames with a hole) and
        hinted (whether hints hold a colour): what the caller found already (None: looked
        for here, inside the box).

        take: the arrays are the caller's to give (made for this load, used by nothing
        else after it): they become the layers as they are, outside the box too. Copying
        a whole-clip Full-HD mask into new layers took 170 ms of the GUI thread (the new
        pages faulted in), and freeing the arrays read 40 ms more. An array that cannot
        be a layer as it is (a view, read-only, another type) is copied all the same.
        Otherwise only the box is read and copied, into new layers: copying the whole clip
        (and its all-zero hints, four times the mask) made 1.2 GB resident and blocked the
        GUI thread for seconds on 120 Full-HD frames."""
        t = self.shape[0]
        if mask.shape != self.shape or hints is not None and hints.shape != (*self.shape, 4):
            raise ValueError(f"layers of shape {mask.shape} do not match the clip {self.shape}")
        if masked is not None and masked.shape != (t,):
            raise ValueError(f"masked frames of shape {masked.shape} for {t} frames")
        if box is None:
            box = ops.union_box(ops.true_box(mask), None if hints is None else
                                ops.true_box(np.ascontiguousarray(hints).view(np.uint32)[..., 0]))
        take = take and _layer_as_is(mask) and (hints is None or _layer_as_is(hints))
        self._wrote()
        # The old paint goes with the old pages; new layers are zero until written.
        old = self._held()
        self.mask = mask if take else ops.zeros(self.shape, np.uint8)
        self.hints = hints if take and hints is not None else ops.zeros((*self.shape, 4), np.uint8)
        self._words = ops.rgba_words(self.hints)
        self.hinted = False
        self._extent = self._hint_extent = None
        self._masked = np.zeros(t, bool)
        self._stroke = None  # its saved tiles are of the old layers
        if box is not None:
            if not take:
                self.mask[box] = mask[box]
                if hints is not None:
                    self.hints[box] = hints[box]
            if hints is not None:
                self.hinted = bool(self._words[box].max() > 0) if hinted is None else hinted
            self._masked[box[0]] = (self.mask[box].max(axis=(1, 2)) >= HOLE
                                    if masked is None else masked[box[0]])
            self._grow_extent(*box, hints=self.hinted)
        self.state = next(self._states)
        self._frame_states[:] = self.state
        self._history = History(self._budget)
        _let_go(old)
        self.changed.emit(MaskChange(0, self.shape[0]))
        self.masked_frames_changed.emit(self._masked.copy())
        self.history_changed.emit()

    def _held(self) -> list:
        """The layers and their history, before new ones replace them (see _let_go)."""
        return [self.__dict__[name] for name in ("mask", "hints", "_words", "_history")
                if name in self.__dict__]

    def range_state(self, first: int, last: int) -> int:
        """What names the layers' content on frames first..last: the latest edit that
        touched one of them. With one line of history (undo, redo, new edits drop the redo
        steps) that edit fixes everything before it, so the same number is the same content
        there; an edit on other frames leaves it."""
        return int(self._frame_states[first : last + 1].max())

    def frames_for(self, scope: str, frame: int = 0,
                   in_out: tuple[int, int] | None = None) -> slice:
        """The frames a scope covers: this frame, the in/out range (inclusive) or all."""
        t = self.shape[0]
        if scope == "frame":
            f = min(max(int(frame), 0), t - 1)
            return slice(f, f + 1)
        if scope == "range" and in_out is not None:
            a, b = sorted(min(max(int(v), 0), t - 1) for v in in_out)
            return slice(a, b + 1)
        if scope in ("range", "all"):
            return slice(0, t)
        raise ValueError(f"unknown scope {scope!r}; use one of {SCOPES}")

    def hole(self, frame: int) -> np.ndarray:
        return self.mask[frame] >= HOLE

    def masked_frames(self) -> np.ndarray:
        """(T,) bool: frames with any hole (for the timeline's marks)."""
        return self._masked.copy()

    def extent(self) -> tuple[slice, slice, slice] | None:
        """A (t, y, x) box holding every painted value (maybe more), or None when nothing
        was ever painted: kept up to date edit by edit, so saving copies only that box
        instead of scanning the whole clip (undo and redo stay inside it)."""
        if self._extent is None:
            return None
        t0, t1, y0, y1, x0, x1 = self._extent
        return slice(t0, t1), slice(y0, y1), slice(x0, x1)

    def tight_extent(self) -> tuple[slice, slice, slice] | None:
        """extent(), made tight again (None when nothing is painted now). An Invert then an
        Undo leaves the extent the whole clip, and every autosave would copy all of it
        (166 MB a tick for 16 Full-HD frames), where finding the painted box is a scan (of
        the mask, and of the hint colours inside their own box: no temporary)."""
        box = self.extent()
        if box is None:
            return None
        bt, ys, xs = box
        hinted = self._hints_in(bt, ys, xs)
        found = ops.union_box(ops.true_box(self.mask[box]), hinted)
        self._extent = self._hint_extent = None
        if hinted is not None:
            self._grow_extent(*_moved(hinted, bt.start, ys.start, xs.start), hints=True)
        if found is None:
            return None
        self._grow_extent(*_moved(found, bt.start, ys.start, xs.start))
        return self.extent()

    def _wrote(self) -> None:
        """The layers' values are about to change (before every write): a copy taken on
        another thread is known to be whole only while this count stays (copy_later)."""
        self.writes = getattr(self, "writes", 0) + 1

    def copy_later(self) -> Callable[[], tuple | None]:
        """What copies the painted box as it is now, on any thread, later: the function
        returns ((t, y, x) box, mask copy, hints copy or None when no hint colour), or None
        when nothing is painted, and raises SnapshotStale when the layers were written
        since this call. The autosave's copy (after an Invert, the whole clip: 110 ms of
        the GUI thread for 120 Full-HD frames, 770 ms the first time) and the search for
        the painted box run on its writing thread instead; the GUI thread only pins the
        arrays, the boxes and the count of writes."""
        mask, words, hints, writes = self.mask, self._words, self.hints, self.writes
        extent, hint_box = self.extent(), self._hint_box()

        def copy() -> tuple | None:
            found = None
            if extent is not None:
                inside = None
                if hint_box is not None:  # the hint colours' box, from the extent's corner
                    inside = ops.true_box(words[hint_box])
                    inside = None if inside is None else _moved(
                        inside, *(h.start - e.start for h, e in zip(hint_box, extent,
                                                                      strict=True)))
                found = ops.union_box(ops.true_box(mask[extent]), inside)
                found = None if found is None else _moved(found, *(e.start for e in extent))
                hinted = inside is not None
                taken = None if found is None else (
                    found, mask[found].copy(), hints[found].copy() if hinted else None)
            if self.writes != writes:  # written meanwhile: the copy may be torn
                raise SnapshotStale("the layers changed while they were copied")
            return None if found is None else taken

        return copy

    def _grow_extent(self, fs: slice, ys: slice, xs: slice, hints: bool = False) -> None:
        """Paint put in a box (hints: hint colours too)."""
        box = [v for s, n in zip((fs, ys, xs), self.shape, strict=True)
               for v in s.indices(n)[:2]]
        self._extent = _union(self._extent, box)
        if hints:
            self._hint_extent = _union(self._hint_extent, box)

    def _hint_box(self) -> tuple[slice, slice, slice] | None:
        """A (t, y, x) box holding every hint colour (maybe more), or None when there are
        none: inside the extent, and inside the boxes hint colours were put in (a hint
        stroke's, an edit's, an undo's), which are most often far smaller. An Invert, a Clear,
        a Grow or a Shrink look for them there: over the whole painted box it took them
        10-20 ms of a 16-frame Full-HD clip, after an Invert had made that the whole clip."""
        extent, hinted = self.extent(), self._hint_extent
        if extent is None or hinted is None or not self.hinted:
            return None
        box = [ops.overlap(s, slice(a, b))
               for s, a, b in zip(extent, hinted[::2], hinted[1::2], strict=True)]
        return None if None in box else tuple(box)

    def is_empty(self) -> bool:
        return not self._masked.any()

    def as_request_arrays(self, in_out: tuple[int, int] | None = None
                          ) -> tuple[np.ndarray, np.ndarray | None]:
        """(mask (T, H, W) bool, hints (T, H, W, 4) uint8 or None) for Request(task="inpaint"),
        fresh arrays (safe to hand to a worker). in_out (inclusive) keeps only those frames,
        to match a request made from the in/out range. Hints are opaque where painted inside
        the hole and zero elsewhere."""
        return self.request_arrays_later(in_out)()

    def request_arrays_later(self, in_out: tuple[int, int] | None = None
                             ) -> Callable[[], tuple[np.ndarray, np.ndarray | None]]:
        """What makes as_request_arrays' arrays of the layers as they are now, on any thread,
        later (raising SnapshotStale when they were written since): a mask export made them
        on the GUI thread, 340 ms for 64 Full-HD frames painted throughout."""
        fs = self.frames_for("range" if in_out is not None else "all", 0, in_out)
        t, (h, w) = fs.stop - fs.start, self.shape[1:]
        mask, hints_layer, extent, writes = self.mask, self.hints, self.extent(), self.writes

        def make() -> tuple[np.ndarray, np.ndarray | None]:
            # Only the painted box is read (extent): the rest is empty, and ops.zeros clears
            # nothing now, where the whole range on the GUI thread took 40-80 ms at every
            # run of a Full-HD or a long clip (with Update on change: after every stroke).
            hole, hints = ops.zeros((t, h, w), bool), None
            ts = None if extent is None else ops.overlap(extent[0], fs)
            if ts is not None:
                _, ys, xs = extent
                box = (slice(ts.start - fs.start, ts.stop - fs.start), ys, xs)
                hole[box] = mask[ts, ys, xs] >= HOLE
                src = hints_layer[ts, ys, xs]
                painted = hole[box] & (src[..., 3] >= HOLE)
                if painted.any():
                    hints = ops.zeros((t, h, w, 4), np.uint8)
                    inside = hints[box]  # a view: the writes land in hints
                    inside[painted, :3] = src[painted, :3]
                    inside[painted, 3] = 255
            if self.writes != writes:  # written meanwhile: the copy may be torn
                raise SnapshotStale("the layers changed while they were copied")
            return hole, hints

        return make

    def has_hints(self) -> bool:
        """Whether hint colours are painted inside the hole (an export writes them)."""
        box = self._hint_box()  # not the whole clip: 4 temporaries of it on the GUI thread
        return box is not None and bool(
            ((self.mask[box] >= HOLE) & (self.hints[box][..., 3] >= HOLE)).any())

    # --- strokes -----------------------------------------------------------------------
    @property
    def stroking(self) -> tuple[str, slice] | None:
        """(kind, frames) of the stroke going on (begin_stroke .. end_stroke), or None: its
        pieces change the layers before the stroke's end gives them a new state."""
        st = self._stroke
        return None if st is None else (st.kind, st.frames)

    def begin_stroke(self, frame: int, kind: str = "remove", radius: float = 10,
                     hardness: float = 1.0, color=(0, 0, 0), scope: str = "frame",
                     in_out: tuple[int, int] | None = None) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown brush kind {kind!r}; use one of {KINDS}")
        if self._stroke is not None:
            self.end_stroke()
        self._stroke = _Stroke(self.frames_for(scope, frame, in_out), kind, max(0.5, radius),
                               min(max(hardness, 0.0), 1.0), ops.rgb_of(color), saved={})

    def stroke_to(self, x: float, y: float) -> None:
        """Paint from the previous point of the stroke (or a dab at the first)."""
        st = self._stroke
        if st is None:
            raise RuntimeError("stroke_to() outside begin_stroke() / end_stroke()")
        p0, st.last = st.last or (x, y), (x, y)
        hit = ops.segment_coverage(self.shape[1:], p0, (x, y), st.radius, st.hardness)
        if hit is None:
            return
        (ys, xs), a = hit
        self._save_tiles(st, ys, xs)
        self.hinted = self.hinted or st.kind == "hint"
        fs = st.frames
        # Views: the writes land in the model.
        self._wrote()
        hint = st.kind == "hint"
        ops.apply_dab(self.mask[fs, ys, xs], self.hints[fs, ys, xs] if hint else None, a,
                      st.kind, st.color)
        if not hint:  # wiped where there are hint colours: most often nowhere near
            box = self._hint_box()
            near = None if box is None else [ops.overlap(b, s) for b, s in zip(box, (fs, ys, xs),
                                                                              strict=True)]
            if near is not None and None not in near:
                bt, by, bx = near
                ops.wipe_hints(self.hints[bt, by, bx],
                               a[by.start - ys.start : by.stop - ys.start,
                                 bx.start - xs.start : bx.stop - xs.start])
        if st.kind != "erase" and a.max() >= HOLE:
            self._set_masked(fs, True)
        self._grow_extent(fs, ys, xs, hints=st.kind == "hint")
        self.changed.emit(MaskChange(fs.start, fs.stop, (ys.start, ys.stop, xs.start, xs.stop)))

    def end_stroke(self) -> None:
        """Close the stroke: one history atom with the tiles it changed."""
        st, self._stroke = self._stroke, None
        if st is None:
            return
        patches = [p for p in st.saved.values()
                   if not patch_unchanged(p, self.mask, self.hints)]
        if st.kind == "erase":
            self._refresh_masked(st.frames)
        if patches:
            self._push(Atom(st.kind, patches))

    def _save_tiles(self, st: _Stroke, ys: slice, xs: slice) -> None:
        h, w = self.shape[1:]
        for ty in range(ys.start // TILE, (ys.stop - 1) // TILE + 1):
            for tx in range(xs.start // TILE, (xs.stop - 1) // TILE + 1):
                if (ty, tx) not in st.saved:
                    tys = slice(ty * TILE, min(h, ty * TILE + TILE))
                    txs = slice(tx * TILE, min(w, tx * TILE + TILE))
                    st.saved[ty, tx] = take_patch(self.mask, self.hints, st.frames, tys, txs,
                                                  self.hinted)

    # --- whole-frame edits (each one undo step) ----------------------------------------
    def clear(self, scope: str = "all", frame: int = 0,
              in_out: tuple[int, int] | None = None) -> bool:
        self._close_stroke()
        fs = self.frames_for(scope, frame, in_out)
        # In place: the atom's copies of the painted boxes (the mask's, the hint colours')
        # are all the undo needs (zero layers of the box to compare with, and the hints of
        # the mask's box, cost the GUI thread three more of its size).
        patches: list[Patch | Flip] = []
        box = self._painted_box(fs, hints=False)
        if box is not None:  # all 0 whenever the undo puts it back: cleared
            patches.append(replace(take_patch(self.mask, self.hints, *box, with_hints=False),
                                   cleared=True))
            self._wrote()
            self.mask[box] = 0
        patches += self._take_hints(fs)
        if not patches:
            return False
        self._finish("clear", patches)
        return True

    def invert(self, scope: str = "all", frame: int = 0,
               in_out: tuple[int, int] | None = None) -> bool:
        """Hole becomes keep and back; hint colours go (their pixels stop being hole).

        In place, a frame at a time, and its own undo (history.Flip): only the hint colours
        are copied for the undo. On 16 Full-HD frames the clip-sized temporaries (the new
        layer, the comparison, the undo's copy) blocked the GUI thread 140-170 ms."""
        self._close_stroke()
        fs = self.frames_for(scope, frame, in_out)
        _, h, w = self.shape
        flip = Flip(fs, slice(0, h), slice(0, w))
        patches: list[Patch | Flip] = [flip, *self._take_hints(fs)]
        self._wrote()
        flip.apply(self.mask)
        self._finish("invert", patches)
        return True

    def _take_hints(self, fs: slice) -> list[Patch | Flip]:
        """Clear the hint colours of frames fs; returns the patch that puts them back (none
        when there were none). When none are left anywhere, the layers are known to have
        none again (hinted): a snapshot then skips the hints, four times the mask's size
        (after an Invert of 16 Full-HD frames the autosave copied 127 MB of zeros)."""
        box = self._painted_box(fs, mask=False)  # most masks have no hint colours
        patches: list[Patch | Flip] = []
        if box is not None:
            patches.append(take_patch(self.mask, self.hints, *box, with_mask=False))
            self._wrote()
            self.hints[box] = 0
        hinted = self._hint_box()
        if hinted is None or fs.start <= hinted[0].start and hinted[0].stop <= fs.stop:
            self.hinted, self._hint_extent = False, None
        return patches

    def grow(self, pixels: int, scope: str = "all", frame: int = 0,
             in_out: tuple[int, int] | None = None) -> bool:
        """Dilate the hole by a disc; hint colours spread into the new ring."""
        if pixels < 0:
            return self.shrink(-pixels, scope, frame, in_out)
        return self._per_frame("grow", self.frames_for(scope, frame, in_out), pixels,
                               lambda m, h, at: ops.grow_layer(m, h, pixels, at))

    def shrink(self, pixels: int, scope: str = "all", frame: int = 0,
               in_out: tuple[int, int] | None = None) -> bool:
        """Erode the hole by a disc (the frame border does not eat into a hole touching it)."""
        if pixels < 0:
            return self.grow(-pixels, scope, frame, in_out)
        return self._per_frame("shrink", self.frames_for(scope, frame, in_out), pixels,
                               lambda m, h, at: ops.shrink_layer(m, h, pixels, at))

    def _per_frame(self, label: str, fs: slice, pixels: int, op) -> bool:
        """Run op(mask, hints, hints_at) (a Grow or a Shrink by `pixels`) on frames fs, one
        frame at a time, on a copy of the frame's own box that can change, and write back
        what changed: one piece of the atom per frame (the undo keeps only what changed on
        each frame). hints are those of the box's rows and columns hints_at: the hint
        colours there grown by how far a Grow carries them; None when the frame has none in
        the box.

        The box: a Grow changes only pixels short of full hole (255) within `pixels` of the
        hole, a Shrink only painted pixels (> 0) within `pixels` of the part kept (soft edges
        are kept pixels); and what decides them lies within `pixels` more. Found by one pass
        over the frame, no copy of it: after an Invert, copying, comparing and rewriting
        whole frames took 150-230 ms of the GUI thread for 120 Full-HD frames. Frames with
        no hole are not looked at, and which frames have one is known after the edit without
        a pass over the clip (a Grow keeps it, a Shrink looks again where a box lost its
        hole), each pass being 8-10 ms of those frames."""
        self._close_stroke()
        extent = self.extent()
        ft = None if extent is None else ops.overlap(fs, extent[0])
        if ft is None:
            return False
        grow = label == "grow"
        h, w = self.shape[1:]
        # outside the extent all is 0 (kept): a hole touching its edge grows, or is eaten,
        # across it
        _, ry, rx = ops.grow_box(extent, pixels + 1, (h, w))
        masked = self._masked.copy()  # exact: every edit and stroke end keeps it so
        patches: list[Patch | Flip] = []
        for f in range(ft.start, ft.stop):
            if not masked[f]:
                continue  # no hole: nothing to grow or shrink
            region = self.mask[f : f + 1, ry, rx]  # a view
            # The smaller box first (after an Invert, the part kept is small and the hole
            # all the rest), and the other one looked for within `pixels` of it only.
            first = ops.box_below(region, 255 if grow else HOLE)
            if first is None:
                continue  # nothing short of full hole / nothing kept to shrink towards
            _, sy, sx = ops.grow_box(first, pixels, region.shape[1:])
            second = ops.true_box(region[:, sy, sx], HOLE if grow else 1)
            if second is None:
                continue
            _, cy, cx = _moved(second, 0, sy.start, sx.start)
            if grow:  # pixels short of full hole, near the hole
                _, ny, nx = ops.grow_box((ft, cy, cx), pixels, region.shape[1:])
                cy, cx = ops.overlap(ny, first[1]), ops.overlap(nx, first[2])
                if cy is None or cx is None:
                    continue
            # (a Shrink: painted pixels near the part kept, soft ones being kept ones)
            _, wy, wx = ops.grow_box((ft, cy, cx), pixels + 1, region.shape[1:])
            ys = slice(ry.start + wy.start, ry.start + wy.stop)
            xs = slice(rx.start + wx.start, rx.start + wx.stop)
            written = self._edit_box(slice(f, f + 1), ys, xs, pixels if grow else 0, op)
            if written and not grow and self.mask[f, ys, xs].max() < HOLE:
                # its box lost its hole: any left elsewhere (inside the extent)?
                masked[f] = self.mask[f, extent[1], extent[2]].max() >= HOLE
            patches += written
        if not patches:
            return False
        self._finish(label, patches, masked[Atom(label, patches).frames()])
        return True

    def _edit_box(self, fs: slice, ys: slice, xs: slice, spread: int,
                  op) -> list[Patch | Flip]:
        """op on a copy of box (fs, ys, xs), written back: the patches of old values."""
        bh, bw = ys.stop - ys.start, xs.stop - xs.start
        new_mask = self.mask[fs, ys, xs].copy()
        found = self._hints_in(fs, ys, xs)
        at = new_hints = None
        if found is not None:
            _, hy, hx = ops.grow_box(found, spread, (bh, bw))
            at = hy, hx
            new_hints = self.hints[fs, ys.start + hy.start : ys.start + hy.stop,
                                   xs.start + hx.start : xs.start + hx.stop].copy()
        op(new_mask, new_hints, at)
        return self._write(fs, new_mask, new_hints, ys, xs, at)

    def _painted_box(self, fs: slice, mask: bool = True,
                     hints: bool = True) -> tuple[slice, slice, slice] | None:
        """The (t, y, x) box, in the clip, of the non-zero mask values (mask) and hint
        colours (hints) on frames fs, looked for inside the extent only; None: none."""
        extent = self.extent()  # nothing was ever painted outside it
        if extent is None:
            return None
        et, ys, xs = extent
        ft = ops.overlap(fs, et)
        if ft is None:
            return None
        found = ops.union_box(ops.true_box(self.mask[ft, ys, xs]) if mask else None,
                              self._hints_in(ft, ys, xs) if hints else None)
        return None if found is None else _moved(found, ft.start, ys.start, xs.start)

    def _hints_in(self, fs: slice, ys: slice, xs: slice) -> tuple[slice, slice, slice] | None:
        """The (t, y, x) box of the hint colours inside box (fs, ys, xs) of the clip, from
        the box's corner (looked for inside _hint_box() only); None: none there."""
        hinted = self._hint_box()
        if hinted is None:
            return None
        ht, hy, hx = hinted
        part = [ops.overlap(a, b) for a, b in ((fs, ht), (ys, hy), (xs, hx))]
        if None in part:
            return None
        found = ops.true_box(self._words[tuple(part)])
        origin = [p.start - a.start for p, a in zip(part, (fs, ys, xs), strict=True)]
        return None if found is None else _moved(found, *origin)

    def set_arrays(self, mask: np.ndarray, hints: np.ndarray | None = None,
                   label: str = "import") -> bool:
        """Replace the whole layer (one undo step): mask (T, H, W) bool or coverage, hints
        (T, H, W, 4) RGBA or None (no hint colour). A hint colour is a hole (coverage at
        least its alpha).

        Frame by frame, each frame's changed boxes alone kept for the undo: the whole-clip
        temporaries (the converted layer, the all-zero hints, the comparisons, one undo copy
        of the clip's changed box) took 3.8 s of the GUI thread for 120 Full-HD frames."""
        if mask.shape != self.shape:
            raise ValueError(f"mask shape {mask.shape} does not match the clip {self.shape}")
        if hints is not None and hints.shape != (*self.shape, 4):
            raise ValueError(f"hints shape {hints.shape} does not match the clip {self.shape}")
        self._close_stroke()
        t, h, w = self.shape
        patches: list[Patch | Flip] = []
        masked = np.zeros(t, bool)  # each new frame is looked at anyway: no scan after
        for f in range(t):
            fs = slice(f, f + 1)
            new = mask[fs].view(np.uint8) * np.uint8(255) if mask.dtype == bool \
                else mask[fs].astype(np.uint8)
            new_hints = at = None
            if hints is not None:
                frame_hints = hints[fs].astype(np.uint8, copy=False)
                np.maximum(new, frame_hints[..., 3], out=new)  # a hint colour is a hole
                # compared where either the new or the old frame has hint colours only
                found = ops.union_box(ops.true_box(ops.rgba_words(frame_hints)),
                                      self._hints_in(fs, slice(0, h), slice(0, w)))
                if found is not None:
                    at = found[1:]
                    new_hints = frame_hints[(slice(None), *at)]
            masked[f] = new.max() >= HOLE
            patches += self._write(fs, new, new_hints, hints_at=at)
        if hints is None:
            patches += self._take_hints(slice(0, t))
        if not patches:
            return False
        ft = Atom(label, patches).frames()
        self._finish(label, patches, masked[ft])
        return True

    def import_png(self, path: str | PathLike[str],
                   hints_path: str | PathLike[str] | None = None) -> bool:
        """Numbered PNG frames (white = hole), an image or a video; hints: RGB, black = none."""
        mask = mask_io.load_mask(path, self.shape)
        hints = mask_io.load_hints(hints_path, self.shape) if hints_path else None
        return self.set_arrays(mask, hints)

    def export_png(self, folder: str | PathLike[str], hints_folder=None) -> list:
        """Write the hole as numbered PNGs (white = hole); hint colours, when any, go to
        hints_folder (default: "<folder>_hints" beside it). Returns the folders written."""
        mask, hints = self.as_request_arrays()
        return mask_io.save_png(mask, hints, folder, hints_folder)

    def set_box(self, frame: int, ys: slice, xs: slice, mask: np.ndarray,
                hints: np.ndarray | None, label: str) -> bool:
        """New values for a box of one frame (one undo step): mask (h, w) uint8 coverage,
        hints (h, w, 4) uint8 RGBA or None (left as they are). False: nothing changed."""
        return self._commit(label, slice(frame, frame + 1), mask[None],
                            None if hints is None else hints[None], ys, xs)

    def _commit(self, label: str, fs: slice, mask: np.ndarray, hints: np.ndarray | None,
                ys: slice = slice(None), xs: slice = slice(None)) -> bool:
        """Write new values for frames fs (rows ys, columns xs: the whole frame unless
        given), keeping only the changed boxes as the atom."""
        self._close_stroke()
        patches = self._write(fs, mask, hints, ys, xs)
        if not patches:
            return False
        self._finish(label, patches)
        return True

    def _write(self, fs: slice, mask: np.ndarray, hints: np.ndarray | None,
               ys: slice = slice(None), xs: slice = slice(None),
               hints_at: tuple[slice, slice] | None = None) -> list[Patch | Flip]:
        """Write the values that differ; returns the patches of old values: the mask's
        changed box and the hint colours' (none when nothing changed). hints: the new hint
        colours of mask's rows and columns hints_at (None: all of them); hints None: the
        hints stay."""
        y0, x0 = ys.start or 0, xs.start or 0
        patches: list[Patch | Flip] = []
        box = self._changed_box(fs, mask, y0, x0)
        if box is not None:
            at = _moved(box, fs.start, y0, x0)
            patches.append(take_patch(self.mask, self.hints, *at, with_hints=False,
                                      painted=self.extent()))
            self._wrote()
            self.mask[at] = mask[box]
        if hints is not None:  # RGBA compared as one 32-bit word: 40x faster than .any(-1)
            hy, hx = hints_at or (slice(0, mask.shape[1]), slice(0, mask.shape[2]))
            y0, x0 = y0 + hy.start, x0 + hx.start
            old = self._words[fs, y0 : y0 + hints.shape[1], x0 : x0 + hints.shape[2]]
            box = ops.true_box(ops.rgba_words(hints) != old)
            if box is not None:
                at = _moved(box, fs.start, y0, x0)
                patches.append(take_patch(self.mask, self.hints, *at, self.hinted,
                                          with_mask=False))
                self._wrote()
                self.hints[at] = hints[box]
                self.hinted = self.hinted or bool(hints[box][..., 3].any())
        return patches

    def _changed_box(self, fs: slice, mask: np.ndarray, y0: int,
                     x0: int) -> tuple[slice, slice, slice] | None:
        """The box of mask (new values for self.mask[fs] from row y0, column x0) holding
        every value that differs from the layer's (maybe more). The layer's values are read
        inside the extent only: outside it they are 0, and reading pages never written
        faults each one in (2.6 us a page: 160 ms of an import of 120 Full-HD frames)."""
        n, h, w = mask.shape
        extent = self.extent()
        inner = None if extent is None else [
            ops.overlap(a, b) for a, b in zip((fs, slice(y0, y0 + h), slice(x0, x0 + w)),
                                              extent, strict=True)]
        if inner is None or None in inner:
            return ops.true_box(mask)  # all 0 there: what is not 0 changes
        it, iy, ix = inner
        local = _moved(tuple(inner), -fs.start, -y0, -x0)
        found = ops.true_box(mask[local] != self.mask[it, iy, ix])
        found = None if found is None else _moved(found, *(s.start for s in local))
        if local == (slice(0, n), slice(0, h), slice(0, w)):
            return found  # all inside the extent
        return ops.union_box(found, ops.true_box_outside(mask, local))  # 0 there, as above

    def _finish(self, label: str, patches: list[Patch | Flip],
                masked: np.ndarray | None = None) -> None:
        """An edit written: its atom (the patches of old values), the extent, the frames
        with a hole (masked: known already, for the atom's frames), and one change event
        around all of it."""
        for p in patches:  # first: _refresh_masked looks inside the extent
            self._grow_extent(p.frames, p.ys, p.xs,
                              hints=self.hinted and getattr(p, "with_hints", False))
        atom = Atom(label, patches)
        self._push(atom, announce=False)
        ft = atom.frames()
        self._refresh_masked(ft, masked)
        _, h, w = self.shape
        ys = [p.ys.indices(h)[:2] for p in patches]
        xs = [p.xs.indices(w)[:2] for p in patches]
        box = (min(y[0] for y in ys), max(y[1] for y in ys),
               min(x[0] for x in xs), max(x[1] for x in xs))
        self.changed.emit(MaskChange(ft.start, ft.stop, box))
        # Last, as an undo's: a listener to `edited` sees the edit whole (the sketch's
        # canvas drew from the key frames a Clear had emptied, which failed).
        self.history_changed.emit()
        self.edited.emit()

    # --- history -----------------------------------------------------------------------
    @property
    def budget(self) -> int:
        return self._budget

    def can_undo(self) -> bool:
        return bool(self._history.undo)

    def can_redo(self) -> bool:
        return bool(self._history.redo)

    def undo_label(self) -> str:
        return self._history.undo[-1].label if self._history.undo else ""

    def redo_label(self) -> str:
        return self._history.redo[-1].label if self._history.redo else ""

    def history_bytes(self) -> int:
        return self._history.nbytes()

    def undo(self) -> bool:
        return self._step(self._history.undo, self._history.redo)

    def redo(self) -> bool:
        return self._step(self._history.redo, self._history.undo)

    def _close_stroke(self) -> None:
        """End a stroke still held before another edit: its tiles hold the values from
        before it, so the edit must be a step of its own (an import landing mid-stroke was
        undone with the stroke)."""
        if self._stroke is not None:
            self.end_stroke()

    def _step(self, source: list[Atom], target: list[Atom]) -> bool:
        self._close_stroke()
        if not source:
            return False
        atom = source.pop()
        self._wrote()
        inverse = swap(atom, self.mask, self.hints, self.hinted)
        self.hinted = self.hinted or any(p.hints is not None for p in atom.patches)
        for p in atom.patches:  # paint put back (a save may have tightened the extent since)
            self._grow_extent(p.frames, p.ys, p.xs, hints=p.hints is not None)
        inverse.to, self.state = self.state, atom.to
        fs = atom.frames()
        inverse.frame_states = self._frame_states[fs].copy()
        self._frame_states[fs] = atom.frame_states
        target.append(inverse)
        fs = atom.frames()
        self._refresh_masked(fs)
        self.changed.emit(MaskChange(fs.start, fs.stop))
        self.history_changed.emit()
        self.edited.emit()
        return True

    def _push(self, atom: Atom, announce: bool = True) -> None:
        """An edit done: `atom` undoes it (back to the state before). announce: say so
        now (False: the caller does, once its other events are out)."""
        atom.to, self.state = self.state, next(self._states)
        fs = atom.frames()
        atom.frame_states = self._frame_states[fs].copy()
        self._frame_states[fs] = self.state
        self._history.push(atom)
        if announce:
            self.history_changed.emit()
            self.edited.emit()

    # --- masked frames -----------------------------------------------------------------
    def _set_masked(self, fs: slice, value: bool) -> None:
        if not (self._masked[fs] == value).all():
            self._masked[fs] = value
            self.masked_frames_changed.emit(self._masked.copy())

    def _refresh_masked(self, fs: slice, now: np.ndarray | None = None) -> None:
        """Which frames of fs have a hole (now: known already), looked for inside the extent
        only (all is empty outside it): an undo of a stroke over a Full-HD range scanned
        every pixel of every frame, 80 ms on the GUI thread."""
        if now is None:
            extent = self.extent()
            box = None if extent is None else self.mask[fs, extent[1], extent[2]]
            if box is None or box.size == 0:
                now = np.zeros(fs.stop - fs.start, bool)
            else:  # max: no (T, H, W) temporary, 8x faster than (box >= HOLE).any(...)
                now = box.max(axis=(1, 2)) >= HOLE
        if not np.array_equal(now, self._masked[fs]):
            self._masked[fs] = now
            self.masked_frames_changed.emit(self._masked.copy())


def _let_go(held: list) -> None:
    """Drop replaced layers and their history on a thread of their own when they are big
    (release.let_go). The model holds the new ones already (a worker never finds it
    without layers)."""
    let_go(held)


def _layer_as_is(array: np.ndarray) -> bool:
    """Whether an array can be a layer without a copy: the strokes write it in place and
    the hint colours are read as 32-bit words (a view of a contiguous block)."""
    return array.dtype == np.uint8 and array.flags.c_contiguous and array.flags.writeable


def _moved(box: tuple[slice, slice, slice], t0: int, y0: int,
           x0: int) -> tuple[slice, slice, slice]:
    """A (t, y, x) box moved by (t0, y0, x0)."""
    return tuple(slice(o + b.start, o + b.stop) for o, b in zip((t0, y0, x0), box, strict=True))


def _union(box: list[int] | None, other: list[int]) -> list[int]:
    """The (t0, t1, y0, y1, x0, x1) box around two (box None: other)."""
    if box is None:
        return other
    return [f(a, b) for a, b, f in zip(box, other, (min, max) * 3, strict=True)]
