"""engine.limits: the output-size caps and the noise check, refused before any work."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from engine.errors import InputError
from engine.limits import (
    MAX_FRAMES,
    MAX_PIXELS_PER_FRAME,
    MAX_SIDE,
    check_noise,
    check_output_size,
    estimated_peak_bytes,
    free_memory,
)

SRC = (16, 144, 256)
PLENTY = 10**15


def test_ordinary_sizes_pass() -> None:
    check_output_size(SRC, SRC, free_bytes=PLENTY)
    check_output_size(SRC, (30, 144, 512), free_bytes=PLENTY)
    check_output_size((1, 1, 1), (1, 1, 1), free_bytes=PLENTY)
    check_output_size(SRC, (MAX_FRAMES, 16, 16), free_bytes=PLENTY)
    check_output_size(SRC, (1, 4320, MAX_SIDE), free_bytes=PLENTY)  # 8K fits both caps
    check_output_size(SRC, (np.int64(16), 144, 256), free_bytes=PLENTY)  # numpy ints are fine


@pytest.mark.parametrize("out, pattern", [
    ((16, 144, 100_000), r"output width 100000 is over the limit of 8192 pixels per side"),
    ((16, MAX_SIDE + 1, 256), r"output height 8193 is over the limit of 8192"),
    ((16, 7000, 7000), r"7000x7000 \(49 million pixels\) are over the limit of 36 million"),
    ((MAX_FRAMES + 1, 144, 256), r"output of 10001 frames is over the limit of 10,000 frames"),
])
def test_caps_name_the_limit_and_the_fix(out, pattern) -> None:
    with pytest.raises(InputError, match=pattern) as err:
        check_output_size(SRC, out, free_bytes=PLENTY)
    assert "memory" in str(err.value) and ("fewer frames" in str(err.value))
    assert "\n" not in str(err.value)


def test_memory_estimate_against_free_memory() -> None:
    out = (16, 1080, 1920)
    need = estimated_peak_bytes(out, out)
    assert 7.2e9 < need < 7.8e9  # measured 5.5 GB added; 8.5 GB to 24 frames (engine/limits.py)
    check_output_size(out, out, free_bytes=need)
    with pytest.raises(InputError, match=r"needs about 7\.4 GB of memory but 5\.0 GB is free.*"
                                         r"at this size 3 frames would fit; .*--max-side"):
        check_output_size(out, out, free_bytes=5 * 10**9)
    with pytest.raises(InputError, match=r"but 2\.0 GB is free \([^;]*\); choose"):
        check_output_size(out, out, free_bytes=2 * 10**9)  # the source alone is too much


@pytest.mark.parametrize("shape, measured", [((13, 72, 128), 150e6), ((13, 144, 256), 440e6),
                                             ((16, 270, 480), 1.59e9), ((13, 360, 640), 2.04e9),
                                             ((25, 256, 456), 2.10e9)])
def test_levels_under_the_large_threshold_are_charged_at_their_cost(shape, measured) -> None:
    """Their 64-dimensional descriptors cost about 900 bytes a voxel (measured 2026-12-06 as
    the memory such runs added to the process; 1300 before the descriptors' blocks were
    split without copies): the estimate had once been 5 to 8 times under."""
    assert measured <= estimated_peak_bytes(shape, shape) < 1.5 * measured


@pytest.mark.parametrize("frames, measured", [(200, 1.43e9), (400, 2.45e9), (800, 4.71e9)])
def test_an_output_much_longer_than_its_clip_is_charged_at_its_cost(frames, measured) -> None:
    """air_balloons' 13 frames made 200-800 frames long cost 160-190 bytes a voxel of
    output (measured 2026-12-07, Draft, as the memory the run added): the estimate was 1.8
    GB for 2.5 GB at 400 frames, and an audit's 5000 frames, estimated at 20.4 GB, passed
    with 24 GB free and were killed by the kernel for want of memory."""
    clip = (13, 144, 256)
    assert measured < estimated_peak_bytes(clip, (frames, 144, 256)) < 1.35 * measured
    with pytest.raises(InputError, match="needs about 33.3 GB"):
        check_output_size(clip, (5000, 144, 256), free_bytes=24 * 10**9)


def test_free_memory_reads_the_system() -> None:
    free = free_memory()
    if sys.platform.startswith("linux"):
        assert free is not None and 10**7 < free < 10**14


def _cgroup_tree(tmp_path, membership: str, files: dict[str, str]) -> tuple[str, str]:
    root = tmp_path / "cgroup"
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    (tmp_path / "membership").write_text(membership)
    return str(root), str(tmp_path / "membership")


def test_a_containers_memory_limit_is_what_is_free(tmp_path) -> None:
    """In a container the machine's free memory is not the run's: the cgroup's limit less
    its usage (page cache it can drop not counted) is, the tightest of it and its parents."""
    from engine.limits import _cgroup_free

    gb = 2**30
    root, membership = _cgroup_tree(tmp_path, "0::/box/app\n", {
        "box/app/memory.max": "max\n",  # none here: the parent's counts
        "box/app/memory.current": f"{gb}\n",
        "box/memory.max": f"{4 * gb}\n",
        "box/memory.current": f"{3 * gb}\n",
        "box/memory.stat": f"anon {gb}\ninactive_file {gb}\n",
    })
    assert _cgroup_free(root, membership) == 2 * gb  # 4 - (3 - 1)
    root, membership = _cgroup_tree(tmp_path / "v1", "4:memory:/job\n3:cpu:/\n", {
        "memory/job/memory.limit_in_bytes": f"{2 * gb}\n",
        "memory/job/memory.usage_in_bytes": f"{gb // 2}\n",
        "memory/memory.limit_in_bytes": str(2**63 - 4096),  # v1's "no limit"
        "memory/memory.usage_in_bytes": f"{gb}\n",
    })
    assert _cgroup_free(root, membership) == 2 * gb - gb // 2
    root, membership = _cgroup_tree(tmp_path / "none", "0::/\n", {"memory.max": "max\n"})
    assert _cgroup_free(root, membership) is None


def test_an_address_space_limit_is_what_is_free() -> None:
    """ulimit -v: PyTorch's CPU allocator fails at it, whatever the machine has free."""
    if not sys.platform.startswith("linux"):
        pytest.skip("reads /proc")
    code = ("import resource; resource.setrlimit(resource.RLIMIT_AS, (6 << 30, resource.RLIM_INFINITY));"
            "from engine.limits import free_memory, _address_space_free as a;"
            "print(a() is not None and 0 < a() < 6 << 30 and free_memory() <= a())")
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root)
    assert out.stdout.strip() == "True", out.stderr


@pytest.mark.parametrize("bad", [(0, 10, 10), (4, -1, 10), (4, 10), (4, 10.5, 10), ("4", 1, 1)])
def test_bad_shapes(bad) -> None:
    with pytest.raises(InputError, match="output size must be three whole numbers"):
        check_output_size(SRC, bad, free_bytes=PLENTY)
    with pytest.raises(InputError, match="source size"):
        check_output_size(bad, SRC, free_bytes=PLENTY)


def test_check_output_size_is_instant_for_absurd_sizes() -> None:
    import time

    t0 = time.perf_counter()
    for out in [(10**9, 10**9, 10**9), (1, 1, 10**12)]:
        with pytest.raises(InputError):
            check_output_size(SRC, out)
    assert time.perf_counter() - t0 < 0.1
    assert MAX_PIXELS_PER_FRAME == 36_000_000


@pytest.mark.parametrize("sigma", [0, 0.0, 2, 5.0, 100])
def test_noise_accepted(sigma) -> None:
    check_noise(sigma)


@pytest.mark.parametrize("sigma, pattern", [
    (float("nan"), "noise must be a finite number, got nan"),
    (float("inf"), "noise must be a finite number, got inf"),
    (float("-inf"), "noise must be a finite number"),
    (-1.0, "noise cannot be negative, got -1.0"),
    (1e30, "over the limit of 100"),
    ("five", "noise must be a number"),
])
def test_noise_refused(sigma, pattern) -> None:
    with pytest.raises(InputError, match=pattern):
        check_noise(sigma)


def test_limits_do_not_import_torch() -> None:
    code = "import sys, engine.limits; sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_requested_sizes_checked_alone() -> None:
    from engine.limits import check_requested_size

    check_requested_size()
    check_requested_size(frames=MAX_FRAMES, height=MAX_SIDE)
    with pytest.raises(InputError, match="output width 100000 is over the limit"):
        check_requested_size(width=100_000)
    with pytest.raises(InputError, match="over the limit of 10,000 frames"):
        check_requested_size(frames=MAX_FRAMES + 1)
    with pytest.raises(InputError, match="million pixels per frame"):
        check_requested_size(height=8000, width=8000)


def test_an_inpaintings_refusal_names_a_frame_count_that_fits():
    """An inpainting's clip is cut with its output: the count said to fit was worked out with
    the source at full length (25 of 40 frames said to fit, refused again; 10 did), and the
    fix named --width/--height, which inpaint does not take."""
    import re

    from engine.errors import InputError
    from engine.limits import INPAINT_FIX, check_output_size, estimated_peak_bytes

    h, w = 1080, 1920
    free = int(estimated_peak_bytes((12, h, w), (12, h, w)) / 0.9) + 1
    with pytest.raises(InputError) as refusal:
        check_output_size((40, h, w), (40, h, w), free, together=True, fix=INPAINT_FIX)
    said = str(refusal.value)
    n = int(re.search(r"at this size (\d+) frames would fit", said).group(1))
    assert n >= 12 and said.endswith(INPAINT_FIX) and "--width" not in said
    check_output_size((n, h, w), (n, h, w), free)  # fits


def test_a_check_before_the_engine_loads_counts_its_load(monkeypatch) -> None:
    """Under `ulimit -v` the command line's checks (from the file's header, before PyTorch
    loads) allowed or offered sizes that the run's own check refused once it had loaded."""
    import sys

    from engine import limits

    monkeypatch.setattr(limits, "free_memory", lambda: 4 * 10**9)
    monkeypatch.setitem(sys.modules, "torch", sys.modules.get("torch", object()))
    assert limits.free_for_run() == 4 * 10**9  # loaded
    monkeypatch.delitem(sys.modules, "torch")
    assert limits.free_for_run() == 4 * 10**9 - limits.ENGINE_LOAD_BYTES
