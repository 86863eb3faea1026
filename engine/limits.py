"""Caps on what the engine is asked to make, checked before any work starts.

The engine holds the whole source and the whole output in memory (as float32 tensors, their
patch descriptors, nearest-neighbour fields and vote buffers), so a size typed by mistake,
say a width of 100000, would otherwise run for hours and exhaust the machine's memory
instead of failing at once. The caps:

- MAX_SIDE: at most 8192 pixels per side (8K), any output dimension.
- MAX_PIXELS_PER_FRAME: at most 36 million pixels per frame (8192 x 4320 fits).
- MAX_FRAMES: at most 10,000 output frames (about 7 minutes at 24 fps).
- Memory: the run's estimated peak, BYTES_PER_VOXEL per voxel (T x H x W) of the source and
  of the output together, must fit in the memory that is free now.

BYTES_PER_VOXEL is a rough figure measured on the CPU: generating from a Full-HD clip of 16
frames (33 million voxels in, as many out) peaked at about 6.5 GB, about 200 bytes per
output voxel, counted here as half for the source side (keys, their pyramid and
descriptors) and half for the output side (queries, fields, votes). Levels under the
engine's "large" threshold (3 million voxels) use richer settings and cost up to about 400
bytes per voxel (640x360x16 peaked at 1.8 GB resident, 0.3 GB of it the Python and PyTorch
runtime), but their totals stay small; the cap is meant for the big requests.

No torch import here: the CLI checks a request before loading PyTorch.
"""

from __future__ import annotations

import math
import operator
import os

from engine.errors import InputError

MAX_SIDE = 8192
MAX_PIXELS_PER_FRAME = 36_000_000
MAX_FRAMES = 10_000
BYTES_PER_VOXEL = 200  # peak bytes per voxel when source and output have the same size
MAX_NOISE = 100.0  # colours span [-1, 1]: far above the paper's 2..5, it is noise only

_FIX = "choose a smaller size (--width/--height, or --max-side for the input) or fewer frames"

Shape3 = tuple[int, int, int]


def free_memory() -> int | None:
    """Bytes of memory available to a new allocation now, or None when unknown."""
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


def estimated_peak_bytes(source_shape: Shape3, output_shape: Shape3) -> int:
    """A rough upper figure for a run's peak memory (see BYTES_PER_VOXEL)."""
    src = math.prod(int(v) for v in source_shape)
    out = math.prod(int(v) for v in output_shape)
    return (BYTES_PER_VOXEL // 2) * (src + out)


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
                      free_bytes: int | None = None) -> None:
    """Refuse an output (T, H, W) over the caps, or too big for the free memory, with an
    InputError that names the limit and why.

    source_shape: the (T, H, W) the engine works on (after any downscale). free_bytes:
    memory available now (default: read from the system; skipped when it cannot be read).
    """
    source_shape = _whole(source_shape, "source")
    output_shape = _whole(output_shape, "output")
    check_requested_size(*output_shape)
    free = free_memory() if free_bytes is None else free_bytes
    need = estimated_peak_bytes(source_shape, output_shape)
    if free is not None and need > free:
        raise InputError(
            f"an output of {_shape_text(output_shape)} (from {_shape_text(source_shape)}) needs about "
            f"{_gb(need)} of memory but {_gb(free)} is free (the engine keeps the source and the "
            f"output in memory, about {BYTES_PER_VOXEL} bytes per pixel of every frame); {_FIX}")


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
