"""The editor's "Output too large" advice: in the panel's terms, and a fix that works."""

from __future__ import annotations

import numpy as np

from app.state.memory_advice import advice
from engine.config import preset
from engine.limits import estimated_peak_bytes
from engine.request import Request

GB = 10**9
SOURCE = (200, 611, 1086)  # a long clip the editor opened downscaled "to fit"


def test_a_run_that_fits_needs_no_advice():
    assert advice(Request(), (13, 144, 256), "generate", free=8 * GB) is None


def test_a_source_too_large_alone_asks_for_a_shorter_range_or_draft():
    """Fewer frames or a smaller output cannot help when the source alone does not fit:
    the advice names the in/out range (with how many frames fit) and Draft."""
    text = advice(Request(), SOURCE, "generate", free=10 * GB)
    assert "needs about" in text and "10.0 GB is free" in text
    assert "shorter in/out range (I and O): about" in text and "Draft" in text
    assert "Width" not in text
    fits = int(text.split("about ")[2].split(" frames fit")[0])
    # In 90% of what is free: at the exact limit a figure offered was refused a moment later.
    assert estimated_peak_bytes((fits, 611, 1086), (fits, 611, 1086)) <= 9 * GB
    assert estimated_peak_bytes((fits + 1, 611, 1086), (fits + 1, 611, 1086)) > 9 * GB


def test_an_output_too_large_asks_for_a_smaller_size_in_the_panels_pixels():
    request = Request(task="retarget", width=4000, height=2000, frames=13)
    text = advice(request, (13, 144, 256), "retarget", free=1 * GB)
    assert "13 frames of 4000×2000" in text
    assert "smaller Width and Height (at most" in text and "Draft quality" in text
    assert "Frames" not in text  # one frame of 4000×2000 is too much already
    w, h = text.split("Width and Height (at most ")[1].split(" ")[0].split("×")
    assert advice(Request(task="retarget", width=int(w), height=int(h), frames=13),
                  (13, 144, 256), "retarget", free=1 * GB) is None
    # Draft bounds the output too, so a Draft retarget this large fits.
    assert advice(Request(task="retarget", width=4000, height=2000, frames=13,
                          settings=preset("draft")), (13, 144, 256), "retarget", free=1 * GB) is None


def test_inpainting_has_no_sizes_to_change():
    text = advice(Request(task="inpaint"), SOURCE, "inpaint", free=2 * GB)
    assert "in/out range" in text and "Width" not in text and "Draft" not in text


def test_an_analogys_output_keeps_clip_as_length_whatever_the_range():
    """The result has clip A's frames: the range that fits is counted with them, and when
    clip A alone is too much, no range is offered."""
    guide = np.zeros((120, 720, 1280, 3), np.uint8)
    request = Request(task="analogy", guide=guide, frames=120, height=720, width=1280)
    text = advice(request, (60, 720, 1280), "analogy", free=14 * GB)
    if "frames fit" in text:
        fits = int(text.split("about ")[2].split(" frames fit")[0])
        assert advice(request, (fits, 720, 1280), "analogy", free=14 * GB) is None
    else:
        assert "shorter or smaller clip A" in text


def test_a_long_clips_variation_is_told_sizes_and_a_range_that_fit():
    """A 20 s clip read at 626×352: halving Width or Frames is still refused, so the advice
    gives the figures that fit, and the in/out range (what a user with a long clip wants)."""
    source = (600, 352, 626)
    request = Request(task="generate", frames=600, height=352, width=626)
    free = estimated_peak_bytes(source, (150, 352, 626)) + GB // 10
    text = advice(request, source, "generate", free=free)
    assert "shorter in/out range (I and O): about" in text
    fits = int(text.split("range (I and O): about ")[1].split(" ")[0])
    assert 0 < fits < 600
    assert advice(Request(task="generate", frames=fits, height=352, width=626),
                  (fits, 352, 626), "generate", free=free) is None
    frames = int(text.split("fewer Frames (at most ")[1].split(" ")[0])
    assert advice(Request(task="generate", frames=frames, height=352, width=626), source,
                  "generate", free=free) is None


def test_frames_typed_by_hand_stay_in_the_range_advice():
    """A retarget to 400 frames typed by hand keeps 400 whatever the in/out range: the
    frames said to fit are counted with them (they were counted as if the output
    shrank with the range, and the range offered still did not fit)."""
    source = (500, 352, 626)
    request = Request(task="retarget", frames=400, height=352, width=626)
    free = int(estimated_peak_bytes((60, 352, 626), (400, 352, 626)) / 0.9) + GB // 10
    text = advice(request, source, "retarget", free=free)
    fits = int(text.split("range (I and O): about ")[1].split(" ")[0])
    # It fits with a tenth of the memory free gone meanwhile (another program).
    assert advice(request, (fits, 352, 626), "retarget", free=int(free * 0.9)) is None
    assert advice(request, (fits + 1, 352, 626), "retarget", free=int(free * 0.9)) is not None
