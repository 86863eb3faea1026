"""engine.flow: OpenCV DIS flow magnitude of tiny synthetic clips."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine.errors import Cancelled, InputError
from engine.flow import flow_magnitude, work_size
from tests.guided_synth import texture


def sliding(t=6, h=48, w=64, step=2):
    """A textured image sliding `step` px per frame to the right."""
    big = texture(h, w + step * t, 3, ((0, 0, 0), (255, 255, 255), (255, 0, 0)))
    return np.stack([big[:, step * (t - i) : step * (t - i) + w] for i in range(t)])


def test_sliding_texture_moves_at_its_speed():
    mag = flow_magnitude(sliding(step=2))
    assert mag.shape == (6, 48, 64) and mag.dtype == np.float32
    inner = mag[:, 12:-12, 12:-12]
    assert abs(float(np.median(inner)) - 2.0) < 0.5


def test_still_clip_has_no_motion_and_one_frame_is_zeros():
    still = np.repeat(texture(40, 40, 1, ((0, 0, 0), (255, 255, 255)))[None], 4, axis=0)
    assert float(flow_magnitude(still).max()) < 0.05
    assert not flow_magnitude(still[:1]).any()


def test_working_size_and_output_size_rescale_the_magnitude():
    clip = sliding(t=4, h=96, w=128, step=4)
    small = flow_magnitude(clip, max_side=64)  # computed at 48x64, reported in clip pixels
    assert small.shape == (4, 96, 128)
    assert abs(float(np.median(small[:, 24:-24, 24:-24])) - 4.0) < 1.0
    half = flow_magnitude(clip, out_size=(48, 64))
    assert half.shape == (4, 48, 64)
    assert abs(float(np.median(half[:, 12:-12, 12:-12])) - 2.0) < 0.6
    assert work_size(1080, 1920, 512) == (288, 512)


def test_cancel_between_frames_and_progress():
    seen = []
    with pytest.raises(Cancelled):
        flow_magnitude(sliding(t=6), cancel=lambda: len(seen) >= 2, progress=lambda d, n: seen.append((d, n)))
    assert seen == [(1, 5), (2, 5)]


@pytest.mark.parametrize("bad", [np.zeros((3, 8, 8), np.uint8), np.zeros((3, 8, 8, 3), np.float32), "x"])
def test_bad_input(bad):
    with pytest.raises(InputError):
        flow_magnitude(bad)



def test_thin_strips_neither_crash_nor_lose_their_shape():
    # OpenCV's DIS segfaults on a landscape strip under 16-32 px high (and refuses a side
    # under 12): the flow turns and pads such frames. Run in a child process, so that a
    # regression fails this test instead of killing the suite.
    code = (
        "import numpy as np\n"
        "from engine.flow import flow_magnitude\n"
        "from tests.test_flow import sliding\n"
        "for h, w in [(12, 300), (14, 100), (5, 300), (300, 5), (1, 1), (20, 1000), (60, 1920)]:\n"
        "    a = (np.random.default_rng(0).random((h, w + 6, 3)) * 255).astype(np.uint8)\n"
        "    clip = np.stack([a[:, 3 - k : 3 - k + w] for k in range(3)])\n"
        "    assert flow_magnitude(clip).shape == (3, h, w), (h, w)\n"
        "mag = flow_magnitude(sliding(t=4, h=14, w=120, step=2))\n"
        "print('speed', float(np.median(mag[:, 4:-4, 20:-20])))\n"
    )
    root = Path(__file__).resolve().parents[1]
    res = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0 and "speed" in res.stdout, (res.returncode, res.stderr[-400:])
    # The turned strip still moves at its own speed, 2 px a frame.
    assert abs(float(res.stdout.split()[-1]) - 2.0) < 0.7
