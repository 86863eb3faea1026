"""Caps on what the engine is asked to make, checked before any work starts.

The engine holds the whole source and the whole output in memory (as float32 tensors, their
patch descriptors, nearest-neighbour fields and vote buffers), so a size typed by mistake,
say a width of 100000, would otherwise run for hours and exhaust the machine's memory
instead of failing at once. The caps:

- MAX_SIDE: at most 8192 pixels per side (8K), any output dimension.
- MAX_PIXELS_PER_FRAME: at most 36 million pixels per frame (8192 x 4320 fits).
- MAX_FRAMES: at most 10,000 output frames (about 7 minutes at 24 fps).
- Memory: the run's estimated peak (estimated_peak_bytes) must fit in the memory that is free
  now.

The estimate, measured on the CPU as the memory a run adds to the process: the engine works
level by level, and a level costs by its settings. Levels over Settings.large_voxels (Full-HD)
take 8-dimensional descriptors and cost about LARGE_BYTES per voxel of source and output
together. Measured 2026-12-06 (the peak resident memory less that before the run, Normal,
seed 1; the estimate in brackets): 16 Full-HD frames in and out 5.5 GB (7.4), to 2560x1080
6.9 GB (8.6), to 1280x1080 4.4 GB (6.2), to 24 frames 8.5 GB (9.2: a longer output's keys
hold the clip looped, the most a voxel costs), 12 frames 4.3 GB (5.6); Best, 16 frames,
5.6 GB. A variation of the clip's own size costs least, but one figure for every task keeps
the longer retarget inside it. Smaller levels take 64-dimensional descriptors of keys and
queries and cost about RICH_BYTES per voxel, counted on the mean of their source and output,
so the largest of them can cost more than a large level would. Measured after their
descriptors were split without copies (the same day): 128x72x13 0.15 GB added; 256x144x13
0.44 GB (0.45 at Best; 0.65 before); 480x270x16 1.6 GB (2.5); 640x360x13 2.0 GB (3.4; 2.0 at
Best); 456x256x25 2.1 GB (3.5); the largest such level of ballet at 640x360x101 (2.7
million voxels) 2.5 GB, the most a voxel cost there, with the clip itself held beside it.
The peak is the larger of the two. An output much longer than its clip costs more per
output voxel than the mean (measured 2026-12-07, Draft, peak resident memory less 0.45 GB
for Python and PyTorch; the estimate before in brackets): air_balloons' 13 frames at
256x144 made 200 frames long 1.4 GB (1.5), 400 frames 2.5 GB (1.8), 800 frames 4.7 GB (2.9):
160-190 bytes per output voxel. An audit's 5000 frames were estimated at 20.4 GB, passed on
a machine with 24 GB free, and the kernel killed the run (and could have killed others'
programs) after five minutes. So the large levels also count LARGE_OUTPUT_BYTES per output
voxel and LARGE_SOURCE_BYTES per source voxel, whichever figure is higher.

No torch import here: the CLI checks a request before loading PyTorch.
"""

from __future__ import annotations

import math
import operator
import os
import sys

from engine.config import Settings
from engine.errors import InputError

MAX_SIDE = 8192
MAX_PIXELS_PER_FRAME = 36_000_000
MAX_FRAMES = 10_000
LARGE_BYTES = 220  # per voxel of source and output, over the large-level threshold
RICH_BYTES = 900  # per voxel of the mean of source and output, under it
LARGE_OUTPUT_BYTES = 180  # per output voxel of an output much longer than its clip
LARGE_SOURCE_BYTES = 15  # ... and per voxel of its source
RUN_BYTES = 100_000_000  # what any run holds beside its levels (buffers, the clip's copies)
LARGE_VOXELS = Settings().large_voxels
MAX_NOISE = 100.0  # colours span [-1, 1]: far above the paper's 2..5, it is noise only

_FIX = "choose a smaller size (--width/--height, or --max-side for the input) or fewer frames"
SUGGEST_SHARE = 0.9  # of the free memory, what a size or count offered in a refusal fits in
# An inpainting is the clip's size and length: its range and its scale are what can change.
INPAINT_FIX = "use fewer frames (--start/--end) or a smaller clip (--max-side)"

Shape3 = tuple[int, int, int]


def free_memory() -> int | None:
    """Bytes of memory available to a new allocation now, or None when unknown: the
    machine's, or less where a container's memory limit (cgroup) or the process's
    address-space limit (ulimit -v) leaves less."""
    known = [v for v in (_machine_free(), _cgroup_free(), _address_space_free()) if v is not None]
    return min(known) if known else None


# What loading PyTorch takes (measured 2026-12-07: 500 MB of address space, 200 MB
# resident, with its threads' stacks to come): a check made before it loads (the command
# line's, from the file's header) counts it as taken, or a size it allowed or offered was
# refused once the engine had loaded (under `ulimit -v`).
ENGINE_LOAD_BYTES = 700 * 10**6


def free_for_run() -> int | None:
    """free_memory(), less what loading the engine will take while it is not loaded yet."""
    free = free_memory()
    if free is None or "torch" in sys.modules:
        return free
    return max(0, free - ENGINE_LOAD_BYTES)


def _machine_free() -> int | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:  # other Unixes (macOS has no SC_AVPHYS_PAGES: falls through to None)
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def _read_number(path: str) -> int | None:
    try:
        with open(path, encoding="ascii") as fh:
            text = fh.read().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None  # "max": no limit


def _cgroup_free(root: str = "/sys/fs/cgroup", membership: str = "/proc/self/cgroup") -> int | None:
    """What this process's memory cgroup (v2, or v1's memory controller) and its parents
    leave: the tightest limit less the usage, page cache that can be dropped not counted."""
    try:
        with open(membership, encoding="ascii") as fh:
            lines = fh.read().splitlines()
    except OSError:
        return None
    for line in lines:
        if line.count(":") < 2:
            continue
        _, controllers, where = line.split(":", 2)
        if controllers == "":  # v2
            files, folder = ("memory.max", "memory.current", "inactive_file"), root
        elif "memory" in controllers.split(","):
            files = ("memory.limit_in_bytes", "memory.usage_in_bytes", "total_inactive_file")
            folder = os.path.join(root, "memory")
        else:
            continue
        best = None
        parts = [p for p in where.split("/") if p]
        for depth in range(len(parts), -1, -1):  # this cgroup, then each parent
            here = os.path.join(folder, *parts[:depth])
            limit, used = _read_number(os.path.join(here, files[0])), _read_number(os.path.join(here, files[1]))
            if limit is None or used is None or limit >= 1 << 60:  # none (v1 says 2^63)
                continue
            free = limit - max(0, used - _stat_value(os.path.join(here, "memory.stat"), files[2]))
            best = free if best is None else min(best, free)
        if best is not None:
            return max(0, best)
    return None


def _stat_value(path: str, key: str) -> int:
    try:
        with open(path, encoding="ascii") as fh:
            for line in fh:
                name, _, value = line.partition(" ")
                if name == key:
                    return int(value)
    except (OSError, ValueError):
        pass
    return 0


def _address_space_free() -> int | None:
    """ulimit -v less the address space in use (PyTorch's CPU allocator fails at it)."""
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    except (ImportError, OSError, ValueError):
        return None
    if soft == resource.RLIM_INFINITY:
        return None
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            used = next(int(line.split()[1]) * 1024 for line in fh if line.startswith("VmSize:"))
    except (OSError, ValueError, StopIteration):
        return None
    return max(0, soft - used)


def estimated_peak_bytes(source_shape: Shape3, output_shape: Shape3) -> int:
    """A rough upper figure for the memory a run adds (see the module's notes): the larger
    of its large levels' cost and that of its largest level under the threshold, which
    holds at most LARGE_VOXELS voxels on the larger of its two sides."""
    src = math.prod(int(v) for v in source_shape)
    out = math.prod(int(v) for v in output_shape)
    large = max((LARGE_BYTES // 2) * (src + out), LARGE_OUTPUT_BYTES * out + LARGE_SOURCE_BYTES * src)
    below = min(1.0, LARGE_VOXELS / max(src, out, 1))  # the largest rich level's share
    rich = RICH_BYTES * (src + out) / 2 * below
    return int(max(large, rich)) + RUN_BYTES


def _fits(source_shape: Shape3, output_shape: Shape3, free: int, together: bool = False) -> int:
    """The most output frames, fewer than asked, at the output's size whose run fits in
    `free` bytes (0: none). Counted down one by one: the estimate does not always grow with
    the frames (a longer output makes more levels large, and large levels cost less).
    together: the source has as many frames as the output (an inpainting: its in/out range),
    so it shrinks with it."""
    t, h, w = (int(v) for v in output_shape)

    def source(n: int) -> Shape3:
        return (n, *source_shape[1:]) if together else source_shape

    return next((n for n in range(t - 1, 0, -1)
                 if estimated_peak_bytes(source(n), (n, h, w)) <= free), 0)


def _gb(n: float) -> str:
    return f"{n / 1e9:.1f} GB" if n < 1e11 else f"{n / 1e9:,.0f} GB"


def _shape_text(shape: Shape3) -> str:
    t, h, w = shape
    return f"{t} frame{'s' if t != 1 else ''} of {w}x{h}"


def _whole(shape: tuple, what: str) -> Shape3:
    try:
        values = tuple(operator.index(v) for v in shape)  # ints, numpy ints; not floats
    except TypeError:
        values = ()
    if len(values) != 3 or min(values) < 1:
        raise InputError(f"{what} size must be three whole numbers >= 1 (T, H, W), got {shape}")
    return values  # type: ignore[return-value]


def check_requested_size(frames: int | None = None, height: int | None = None,
                         width: int | None = None) -> None:
    """The per-side, per-frame and frame-count caps on the sizes given (None: not given, e.g.
    the source's, unknown yet). Cheap: the CLI calls it before even opening the input."""
    for name, v in (("width", width), ("height", height)):
        if v is not None and v > MAX_SIDE:
            raise InputError(
                f"output {name} {v} is over the limit of {MAX_SIDE} pixels per side (the engine "
                f"keeps every frame in memory; such sizes would run for hours); {_FIX}")
    if height is not None and width is not None and height * width > MAX_PIXELS_PER_FRAME:
        raise InputError(
            f"output frames of {width}x{height} ({height * width / 1e6:.0f} million pixels) are over "
            f"the limit of {MAX_PIXELS_PER_FRAME // 1_000_000} million pixels per frame (the engine "
            f"keeps every frame in memory); {_FIX}")
    if frames is not None and frames > MAX_FRAMES:
        raise InputError(
            f"output of {frames} frames is over the limit of {MAX_FRAMES:,} frames (the engine "
            f"keeps every frame in memory); choose fewer frames")


def check_output_size(source_shape: tuple[int, int, int], output_shape: tuple[int, int, int],
                      free_bytes: int | None = None, *, together: bool = False,
                      fix: str = _FIX) -> None:
    """Refuse an output (T, H, W) over the caps, or too big for the free memory, with an
    InputError that names the limit and why.

    source_shape: the (T, H, W) the engine works on (after any downscale). free_bytes:
    memory available now (default: read from the system; skipped when it cannot be read).
    together: the source is cut to the output's frames (an inpainting), so the frames that
    would fit are counted with both shrunk (it named counts that were then refused); fix:
    what to do, in the options of the command that asks.
    """
    source_shape = _whole(source_shape, "source")
    output_shape = _whole(output_shape, "output")
    check_requested_size(*output_shape)
    free = free_for_run() if free_bytes is None else free_bytes
    need = estimated_peak_bytes(source_shape, output_shape)
    if free is not None and need > free:
        # Counted in a little less than is free: at the exact limit a count named was
        # refused when free memory was a fraction lower a moment later.
        frames = _fits(source_shape, output_shape, int(free * SUGGEST_SHARE), together)
        at_most = (f"; at this size {frames} frame{'s' if frames != 1 else ''} would fit"
                   if frames else "")
        raise InputError(
            f"an output of {_shape_text(output_shape)} (from {_shape_text(source_shape)}) needs about "
            f"{_gb(need)} of memory but {_gb(free)} is free (the engine keeps the source and the "
            f"output in memory, with each level's patch descriptors){at_most}; {fix}")


def check_noise(sigma: float) -> None:
    """Refuse a noise sigma that is not a finite number in [0, MAX_NOISE]."""
    try:
        value = float(sigma)
    except (TypeError, ValueError):
        raise InputError(f"noise must be a number, got {sigma!r}") from None
    if not math.isfinite(value):
        raise InputError(f"noise must be a finite number, got {sigma} (the paper uses 2 to 5; "
                         "0 keeps the input's layout)")
    if value < 0:
        raise InputError(f"noise cannot be negative, got {sigma} (it is a standard deviation; "
                         "0 keeps the input's layout)")
    if value > MAX_NOISE:
        raise InputError(f"noise {sigma} is over the limit of {MAX_NOISE:g} (colours span -1 to 1, "
                         "so the result would be noise only; the paper uses 2 to 5)")
