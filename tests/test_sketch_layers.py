"""Sketch brush layers -> sketch frames, key frames over time, sketch files; the structure
overlay thumbnails (engine.sketch_layers, engine.structure_overlay)."""

from fractions import Fraction

import numpy as np
import pytest

from engine.errors import InputError
from engine.io import write_video
from engine.sketch_layers import (
    FrameDrawings,
    fill_between_keys,
    load_sketch,
    sketch_from_layers,
)
from engine.structure import quantise
from engine.structure_overlay import clip_overlay, legend, overlay_frames
from tests.guided_synth import moving_square, sketch_frames


def square_at(x: int, t: int = 1, h: int = 40, w: int = 60, side: int = 10) -> np.ndarray:
    ink = np.zeros((t, h, w), bool)
    ink[:, 15 : 15 + side, x : x + side] = True
    return ink


def test_key_frames_morph_between_and_hold_outside():
    ink = np.zeros((9, 40, 60), bool)
    ink[2], ink[6] = square_at(10)[0], square_at(30)[0]
    out, _ = fill_between_keys(ink)
    centres = [np.nonzero(f)[1].mean() for f in out]
    assert centres[0] == centres[1] == centres[2] and centres[6] == centres[7] == centres[8]
    assert centres[2] < centres[3] < centres[4] < centres[5] < centres[6]  # slides right
    assert all(0.5 < f.sum() / ink[2].sum() < 1.5 for f in out)  # keeps about its size


def test_unrelated_key_drawings_keep_their_ink_between():
    """Drawings that do not overlap once centred (a vertical stroke and a horizontal one,
    one blob and two) blend through as much ink as the keys hold, not through a dot or
    nothing: a run moves only where there is ink."""
    import cv2

    for draw0, draw1 in (
            (lambda f: cv2.line(f, (20, 20), (20, 80), 1, 3),
             lambda f: cv2.line(f, (100, 50), (150, 50), 1, 3)),
            (lambda f: cv2.circle(f, (40, 50), 12, 1, -1),
             lambda f: (cv2.circle(f, (40, 50), 12, 1, -1), cv2.circle(f, (120, 40), 12, 1, -1)))):
        ink = np.zeros((9, 100, 160), np.uint8)
        draw0(ink[0])
        draw1(ink[8])
        out, _ = fill_between_keys(ink.astype(bool))
        areas = out.reshape(9, -1).sum(1)
        expected = np.linspace(areas[0], areas[8], 9)
        assert (np.abs(areas - expected) <= 0.1 * expected).all(), areas


def test_a_tone_stays_a_tone_between_keys():
    """A drawing in one grey that grows between its keys is grey on every frame between:
    the ink past the nearer key's takes its nearest ink's tone (it took black, the fastest
    motion, as a rim around the grey); a drawing of black and grey keeps each where it was."""
    yy, xx = np.mgrid[:60, :120]
    ink = np.zeros((9, 60, 120), bool)
    ink[0] = (yy - 30) ** 2 + (xx - 25) ** 2 < 8 ** 2
    ink[8] = (yy - 30) ** 2 + (xx - 85) ** 2 < 20 ** 2
    tones = np.zeros((9, 60, 120, 3), np.uint8)
    tones[ink] = 128
    filled, filled_tones = fill_between_keys(ink, tones)
    for f in range(1, 8):
        assert filled[f].sum() > ink[0].sum()  # it grows
        assert (filled_tones[f][filled[f]] == 128).all(), f
    tones[:, :, :25] = 0  # the left half of each drawing black: it stays black on the left
    filled, filled_tones = fill_between_keys(ink, tones)
    for f in range(1, 4):
        ys, xs = np.nonzero(filled[f])
        centre = xs.mean()
        colour = filled_tones[f][ys, xs, 0]
        assert (colour[xs < centre - 3] == 0).all() and (colour[xs > centre + 3] == 128).all()


def test_one_frame_drawn_as_the_whole_clip_fills_it():
    """FrameDrawings (the editor's canvas under a frame that is not a key frame) gives each
    frame what fill_between_keys gives it, in a box: keys with tones, ink at the frame's
    edges, and slides long enough that the box's padding matters."""
    rng = np.random.default_rng(3)
    for _ in range(12):
        t, h, w = 12, 36, 64
        ink = np.zeros((t, h, w), bool)
        tones = np.zeros((t, h, w, 3), np.uint8)
        for k in rng.choice(t, 3, replace=False):
            for _ in range(2):
                y, x = rng.integers(-4, h), rng.integers(-4, w)
                ink[k, max(0, y) : y + rng.integers(3, 16), max(0, x) : x + rng.integers(3, 16)] = True
            tones[k][ink[k]] = rng.integers(0, 255, 3)
            tones[k][: h // 2][ink[k][: h // 2]] = rng.integers(0, 255, 3)  # a second tone
        keys = np.flatnonzero(ink.any((1, 2)))
        filled, filled_tones = fill_between_keys(ink, tones)
        frames = FrameDrawings(keys, lambda k, ink=ink: ink[k], lambda k, tones=tones: tones[k])
        for f in range(t):
            got = frames.at(f)
            if f in keys:
                assert got is None
                continue
            ys, xs, frame_ink, frame_tones = got
            whole = np.zeros((h, w), bool)
            whole[ys, xs] = frame_ink
            np.testing.assert_array_equal(whole, filled[f])
            np.testing.assert_array_equal(frame_tones[frame_ink], filled_tones[f][ys, xs][frame_ink])
    assert FrameDrawings(np.array([], int), None, None).at(0) is None


def test_a_held_frame_takes_its_key_drawing_as_it_is(monkeypatch):
    """Before the first key frame and after the last the drawing is held: FrameDrawings
    gives the key's own ink and tones without making distance fields for a morph (a pair
    of the key with itself took 90-130 ms on the editor's thread for a Full-HD drawing)."""
    from engine import sketch_layers

    ink = np.zeros((8, 40, 60), bool)
    ink[3] = square_at(10)[0]
    tones = np.zeros((8, 40, 60, 3), np.uint8)
    tones[3][ink[3]] = 90
    fields = []
    monkeypatch.setattr(sketch_layers, "_signed_distance",
                        lambda ink, made=sketch_layers._signed_distance: fields.append(1) or made(ink))
    frames = FrameDrawings(np.array([3]), lambda k: ink[k], lambda k: tones[k])
    for f in (0, 7):
        ys, xs, held, held_tones = frames.at(f)
        whole = np.zeros((40, 60), bool)
        whole[ys, xs] = held
        np.testing.assert_array_equal(whole, ink[3])
        assert (held_tones[held] == 90).all()
    assert fields == []


def test_sketch_frames_paper_ink_and_tones():
    ink = square_at(5, t=3)
    hints = np.zeros((*ink.shape, 4), np.uint8)
    hints[:, 15:20, 5:15] = (120, 120, 120, 255)  # the top half painted grey
    out = sketch_from_layers(ink, hints)
    assert out.shape == (3, 40, 60, 3) and out.dtype == np.uint8
    assert (out[:, 0, 0] == 255).all()  # paper
    assert (out[:, 22, 8] == 0).all()  # black ink
    assert (out[:, 16, 8] == 120).all()  # the grey tone
    with pytest.raises(ValueError):
        sketch_from_layers(ink[0])


def test_load_sketch_image_and_video(tmp_path):
    frames = sketch_frames(t=8, h=36, w=48, bar=12)
    write_video(frames[3:4], tmp_path / "one.png", fps=Fraction(10))
    write_video(frames, tmp_path / "seq", fps=Fraction(10))
    ink, hints = load_sketch(tmp_path / "one.png", (5, 18, 24))  # half size, held for 5 frames
    assert ink.shape == (5, 18, 24) and ink.any() and (ink == ink[0]).all()
    assert (hints[..., 3][ink] == 0).mean() > 0.5  # black ink has no tone (its grey edges do)
    ink, _ = load_sketch(tmp_path / "seq", (8, 36, 48))
    xs = [np.nonzero(f)[1].mean() for f in ink]
    assert xs[-1] < xs[0]  # the bar moves left as in the file
    with pytest.raises(InputError):
        load_sketch(tmp_path / "missing.png", (2, 10, 10))


def test_light_tones_come_back_from_an_exported_sketch(tmp_path):
    """A grey 200 and a yellow tone drawn, written as a run gets them and imported again:
    they came back as paper (import took ink at darkness 0.25, a run at 0.15), so the
    editor and the command line read one folder as two sketches."""
    from engine.sketch_layers import INK_DARKNESS
    from engine.structure import INK

    assert INK_DARKNESS == INK
    ink = np.zeros((1, 24, 60), bool)
    hints = np.zeros((1, 24, 60, 4), np.uint8)
    for x, tone in ((5, None), (25, (200, 200, 200)), (45, (255, 220, 0))):
        ink[0, 6:18, x : x + 10] = True
        if tone is not None:
            hints[0, 6:18, x : x + 10] = (*tone, 255)
    drawn = sketch_from_layers(ink, hints)
    write_video(drawn, tmp_path / "sketch.png", fps=Fraction(10))
    back_ink, back_hints = load_sketch(tmp_path / "sketch.png", (1, 24, 60))
    np.testing.assert_array_equal(back_ink, ink)
    np.testing.assert_array_equal(sketch_from_layers(back_ink, back_hints), drawn)


def test_structure_overlay_thumbnails():
    clip = moving_square(t=6, h=48, w=64)
    thumbs, levels = clip_overlay(clip, 3, max_side=32)
    assert thumbs.shape == (6, 24, 32, 3) and 2 <= levels <= 3
    assert legend(levels).shape == (levels, 3)
    s = quantise(np.linspace(0, 1, 6 * 8 * 8).reshape(6, 8, 8), 2)
    full = overlay_frames(np.zeros((6, 8, 8, 3), np.uint8), s, tint=1.0)
    assert (full[0, 0, 0] == legend(2)[0]).all() and (full[-1, -1, -1] == legend(2)[1]).all()
    with pytest.raises(InputError, match="no motion"):
        clip_overlay(np.repeat(clip[:1], 4, 0), 3)


def test_a_grey_photo_is_a_picture_and_flat_grey_tones_a_drawing(tmp_path):
    """picture_tones tells a shaded picture from a drawing of flat tones. A grey photo has
    too few colours for the colour count (at most 32 greys at 5 bits), so it was taken for
    a drawing and the editor did not say a run reduces it to a few tones of darkness."""
    import cv2

    from engine.sketch_layers import picture_tones
    from tests.synth import balloon_scene

    scene = balloon_scene(t=1, h=144, w=240)[0]
    grey = np.repeat(cv2.cvtColor(scene, cv2.COLOR_RGB2GRAY)[..., None], 3, axis=2)
    write_video(grey[None], tmp_path / "grey.png", fps=Fraction(10))
    assert picture_tones(*load_sketch(tmp_path / "grey.png", (1, 144, 240))) >= 2
    write_video(scene[None], tmp_path / "colour.png", fps=Fraction(10))
    assert picture_tones(*load_sketch(tmp_path / "colour.png", (1, 144, 240))) >= 2
    # Flat greys with antialiased edges, saved as a low-quality JPEG: still a drawing.
    flat = np.full((144, 240, 3), 255, np.uint8)
    for i, tone in enumerate((0, 60, 120, 170)):
        cv2.circle(flat, (40 + 50 * i, 70), 22, (tone,) * 3, -1, cv2.LINE_AA)
        cv2.line(flat, (10, 10 + 30 * i), (230, 120 - 20 * i), (tone,) * 3, 3, cv2.LINE_AA)
    ok, jpeg = cv2.imencode(".jpg", flat, [cv2.IMWRITE_JPEG_QUALITY, 30])
    (tmp_path / "flat.jpg").write_bytes(jpeg.tobytes())
    assert picture_tones(*load_sketch(tmp_path / "flat.jpg", (1, 144, 240))) == 0


def test_making_the_frames_between_keys_stops_when_cancelled():
    """The slides between key frames take seconds on a long Full-HD clip: a run cancelled
    meanwhile went on making them (the worker busy 2-8 s after "Cancelled")."""
    from engine.errors import Cancelled
    from engine.sketch_layers import fill_between_keys, sketch_from_layers

    ink = np.zeros((12, 32, 32), bool)
    ink[0, 4:8, 4:8] = True
    ink[11, 20:24, 20:24] = True
    asked = []

    def cancel() -> bool:
        asked.append(True)
        return len(asked) > 3

    with pytest.raises(Cancelled):
        fill_between_keys(ink, None, cancel)
    assert len(asked) == 4  # asked at every frame made, stopped at the first yes
    with pytest.raises(Cancelled):
        sketch_from_layers(ink, cancel=lambda: True)
    assert sketch_from_layers(ink, cancel=lambda: False).shape == (12, 32, 32, 3)
