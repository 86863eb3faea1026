"""engine.io.masks: mask and hint files fitted to the clip, and one clear message for every
mismatch (frames, size, unreadable file, nothing painted)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from engine.errors import InputError
from engine.io import write_video
from engine.io.masks import load_hints, load_mask

SHAPE = (8, 24, 32)  # the clip's (T, H, W)


def layer(t: int, h: int = 24, w: int = 32, box=(slice(6, 12), slice(8, 20)),
          colour=(255, 255, 255)) -> np.ndarray:
    frames = np.zeros((t, h, w, 3), np.uint8)
    frames[:, box[0], box[1]] = colour
    return frames


def save(frames: np.ndarray, path: Path) -> Path:
    """A folder of PNG frames, or one .png for a single frame (both lossless)."""
    if path.suffix == ".png":
        assert len(frames) == 1
    return write_video(frames, str(path) + ("" if path.suffix else "/"), fps=Fraction(25))


def test_one_image_is_used_for_every_frame(tmp_path: Path) -> None:
    mask = load_mask(save(layer(1), tmp_path / "m.png"), SHAPE)
    assert mask.shape == SHAPE and mask.dtype == bool
    assert mask[:, 6:12, 8:20].all() and mask.sum() == 8 * 6 * 12


def test_one_frame_per_clip_frame(tmp_path: Path) -> None:
    frames = layer(8)
    frames[3] = 0
    frames[3, 0:2, 0:2] = 255
    mask = load_mask(save(frames, tmp_path / "m"), SHAPE)
    assert mask[3].sum() == 4 and mask[4].sum() == 72


def test_a_mask_for_the_whole_source_fits_a_range(tmp_path: Path) -> None:
    frames = layer(20)
    for i in range(20):
        frames[i, 0, i] = 255  # a marker per frame
    mask = load_mask(save(frames, tmp_path / "m"), SHAPE, start=5, source_frames=20)
    assert [int(np.flatnonzero(m[0])[0]) for m in mask] == list(range(5, 13))


@pytest.mark.parametrize("n, kwargs, expected", [
    (5, {}, r"m: the mask has 5 frames but the clip has 8; give 1 \(used for every frame\) or 8 "
            r"\(one per frame\)$"),
    (12, {"start": 2, "source_frames": 20},
     r"m: the mask has 12 frames but the clip has 8; give 1 .* or 8 \(one per frame\) or 20 \(one "
     r"per frame of the whole source\)$"),
])
def test_wrong_frame_count(tmp_path: Path, n: int, kwargs: dict, expected: str) -> None:
    with pytest.raises(InputError, match=expected):
        load_mask(save(layer(n), tmp_path / "m"), SHAPE, **kwargs)
    with pytest.raises(InputError, match=expected.replace("mask", "hint file").replace("m:", "h:")):
        load_hints(save(layer(n, colour=(200, 0, 0)), tmp_path / "h"), SHAPE, **kwargs)


def test_a_scaled_copy_is_resized(tmp_path: Path) -> None:
    big = layer(1, 48, 64, box=(slice(12, 24), slice(16, 40)))  # the same hole at 2x
    mask = load_mask(save(big, tmp_path / "big.png"), SHAPE)
    assert mask.shape == SHAPE
    assert mask[0, 6:12, 8:20].all() and mask[0].sum() == 72
    small = layer(1, 12, 16, box=(slice(3, 6), slice(4, 10)))  # half size
    assert load_mask(save(small, tmp_path / "small.png"), SHAPE)[0].sum() == 72
    odd = layer(1, 25, 33)  # one pixel of rounding is still the same shape
    assert load_mask(save(odd, tmp_path / "odd.png"), SHAPE).shape == SHAPE


@pytest.mark.parametrize("h, w", [(24, 24), (32, 24), (24, 64)])
def test_a_different_aspect_is_refused(tmp_path: Path, h: int, w: int) -> None:
    path = save(layer(1, h, w, box=(slice(0, 4), slice(0, 4))), tmp_path / "m.png")
    with pytest.raises(InputError, match=rf"^m.png: the mask is {w}x{h} but the clip is 32x24; it "
                                         r"must have the clip's size \(or be a scaled copy"):
        load_mask(path, SHAPE)


def test_unreadable_and_missing_files(tmp_path: Path) -> None:
    text = tmp_path / "m.png"
    text.write_text("not an image\n" * 20)
    with pytest.raises(InputError, match=r"^cannot read the mask: m.png: (not a video or image "
                                         r"file|the file is damaged)"):
        load_mask(text, SHAPE)
    with pytest.raises(InputError, match=r"^cannot read the mask: ghost.png: file not found$"):
        load_mask(tmp_path / "ghost.png", SHAPE)
    (tmp_path / "void").mkdir()
    with pytest.raises(InputError, match=r"^cannot read the hint file: void: the folder has no"):
        load_hints(tmp_path / "void", SHAPE)


def test_nothing_or_everything_painted(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"^black.png: the mask is empty \(all black\)"):
        load_mask(save(layer(1, box=(slice(0, 0), slice(0, 0))), tmp_path / "black.png"), SHAPE)
    white = np.full((1, 24, 32, 3), 255, np.uint8)
    with pytest.raises(InputError, match=r"^white.png: the mask covers the whole clip"):
        load_mask(save(white, tmp_path / "white.png"), SHAPE)
    with pytest.raises(InputError, match=r"^none.png: the hint colours are all black"):
        load_hints(save(layer(1, colour=(0, 0, 0)), tmp_path / "none.png"), SHAPE)


def test_hints_are_rgba_where_painted(tmp_path: Path) -> None:
    hints = load_hints(save(layer(1, colour=(200, 30, 10)), tmp_path / "h.png"), SHAPE)
    assert hints.shape == (*SHAPE, 4) and hints.dtype == np.uint8
    assert (hints[:, 6:12, 8:20] == (200, 30, 10, 255)).all()
    assert hints[:, :6].max() == 0


def test_cli_inpaint_with_a_mismatched_mask(tmp_path: Path, capsys) -> None:
    from engine.cli import main

    clip = write_video(layer(8, colour=(90, 120, 40)) + 20, tmp_path / "clip.mp4", fps=Fraction(24))
    mask = save(layer(5), tmp_path / "mask")
    out = tmp_path / "out.mp4"
    assert main(["inpaint", str(clip), "--mask", str(mask), "-o", str(out), "-q"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == ("error: mask: the mask has 5 frames but the clip has 8; give 1 (used for every "
                   "frame) or 8 (one per frame)")
    assert not out.exists()


def test_transparent_pixels_are_unpainted(tmp_path: Path) -> None:
    """An RGBA layer (an editor's white disc on a transparent background whose colour is
    white too): transparent is not painted, for masks and hint colours alike."""
    import cv2

    bgra = np.full((24, 32, 4), 255, np.uint8)  # white everywhere
    bgra[..., 3] = 0  # but transparent
    bgra[6:12, 8:20, 3] = 255  # except the box
    cv2.imwrite(str(tmp_path / "m.png"), bgra)
    mask = load_mask(tmp_path / "m.png", SHAPE)
    assert mask[:, 6:12, 8:20].all() and mask.sum() == 8 * 6 * 12
    bgra[..., :3] = (40, 200, 90)  # a colour, transparent outside the box
    cv2.imwrite(str(tmp_path / "h.png"), bgra)
    hints = load_hints(tmp_path / "h.png", SHAPE)
    assert (hints[..., 3] > 0).sum() == 8 * 6 * 12
    assert tuple(hints[0, 8, 10, :3]) == (90, 200, 40)  # RGB, from BGR


def test_a_thin_stroke_of_a_full_size_mask_stays_hole_for_a_shrunk_clip(tmp_path: Path) -> None:
    """A wire one pixel wide and a 3-pixel dot, painted at 256x144 for a clip read with
    --max-side 64 or 96: read shrunk, they are grey (95 and 36 of 255 at 64 px), and at
    mid-grey the wire was dropped (one pixel left at 96; "the mask is empty" at 64)."""
    import cv2

    from engine.io.masks import hole_line

    mask = np.zeros((144, 256), np.uint8)
    mask[20:120, 100] = 255
    mask[50:53, 200:203] = 255
    path = tmp_path / "wire.png"
    cv2.imwrite(str(path), mask)
    for w, h in ((128, 72), (96, 54), (64, 36)):
        hole = load_mask(path, (3, h, w))[0]
        scale = w / 256
        rows = np.nonzero(hole[:, round(100 * scale) - 1 : round(100 * scale) + 2].any(axis=1))[0]
        assert rows.min() <= 21 * scale + 1 and rows.max() >= 119 * scale - 1, w  # the whole wire
        assert hole[round(51 * scale) - 1 : round(51 * scale) + 2,
                    round(201 * scale) - 1 : round(201 * scale) + 2].any(), w  # and the dot
        assert hole.sum() <= 3 * (100 * scale + 9), w  # no more than a line's width or so
    assert hole_line(1.0) == 127 and hole_line(0.25) == 8
