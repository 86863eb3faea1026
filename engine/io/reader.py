"""read_video: decode a video file, a single image or a folder of numbered images."""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from engine.errors import Cancelled, InputError
from engine.io._probe_child import display_values
from engine.io.clip import (
    DEFAULT_IMAGE_FPS,
    MAX_PIXELS,
    MAX_VOXELS,
    Orientation,
    VideoClip,
    VideoInfo,
    max_side_hint,
    orient_frame,
    orientation,
    pixel_count,
    range_rate,
    rate_text,
    scaled_size,
)
from engine.io.container import open_input
from engine.io.probe import damaged, list_images, numbering_notes, probe

# FFmpeg's own decoder threads next to PyTorch's pools can deadlock (PyAV issue 1962);
# a couple of slice threads is plenty for the clip sizes the engine handles.
DECODE_THREADS = 2
_ATTACHED_PIC = av.stream.Disposition.attached_pic


class _FrameBuffer:
    """Collects equal-sized frames into one preallocated array, growing geometrically."""

    def __init__(self, expected: int, height: int, width: int) -> None:
        self._data = np.empty((max(1, expected), height, width, 3), np.uint8)
        self.count = 0

    def append(self, frame: np.ndarray) -> None:
        if self.count == len(self._data):
            grown = np.empty((len(self._data) * 2, *self._data.shape[1:]), np.uint8)
            grown[: self.count] = self._data
            self._data = grown
        self._data[self.count] = frame
        self.count += 1

    def result(self) -> np.ndarray:
        if self.count < 0.9 * len(self._data):  # do not pin a much larger buffer
            return self._data[: self.count].copy()
        return self._data[: self.count]


def _check_size(
    name: str, height: int, width: int, frames: int, max_side: int | None,
    max_pixels: int, max_voxels: int,
) -> tuple[int, int]:
    """Output (h, w) after max_side; refuses clips over the caps with a --max-side hint."""
    h, w = scaled_size(height, width, max_side)
    if h * w <= max_pixels and max(frames, 1) * h * w <= max_voxels:
        return h, w
    # The side named must also leave a run of that size room in memory: a long clip's
    # hint under the caps alone was then refused for memory.
    from engine.limits import SUGGEST_SHARE, free_for_run

    free = free_for_run()  # with a margin: what is free moves by the time the advice is followed
    hint = max_side_hint(height, width, frames, max_pixels, max_voxels,
                         None if free is None else int(free * SUGGEST_SHARE))
    fix = f"use --max-side {hint} (or smaller)" if hint else "choose a shorter frame range"
    if h * w > max_pixels:
        raise InputError(f"{name}: frames of {w}x{h} are over the limit of "
                         f"{pixel_count(max_pixels)} per frame; {fix}")
    if hint and hint < 16:  # a thumbnail-sized clip is no fix; a shorter range is
        fix = "choose a shorter frame range"
    raise InputError(f"{name}: {frames} frames of {w}x{h} are too much video at once "
                     f"(over {pixel_count(max_voxels)} in all); {fix}")


def _jpeg_complete(path: Path) -> bool:
    """Whether a JPEG's main image ends: an end-of-image marker (FF D9) after its first scan
    (an Exif thumbnail's own markers are skipped with its segment; data appended after the
    image, a motion photo's video, is allowed). FFmpeg decodes a truncated JPEG without an
    error, its missing part grey: a frame of a folder copied short was used garbled, unsaid."""
    try:
        data = path.read_bytes()
    except OSError:
        return True  # the decoder says what is wrong, in its own words
    if data[:2] != b"\xff\xd8":
        return True  # not a JPEG by its content: the decoder judges it
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            return True  # a layout this walk does not know: left to the decoder
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
        elif marker in (0x01, 0xD8) or 0xD0 <= marker <= 0xD7:  # markers without a length
            pos += 2
        elif marker == 0xD9:
            return True
        elif marker == 0xDA:  # the first scan: its entropy-coded data never holds FF D9
            return data.find(b"\xff\xd9", pos + 2) != -1
        else:
            pos += 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")
    return False  # cut inside its headers


def iter_frames(
    path: Path, out_hw: tuple[int, int] | None, start: int = 0, end: int | None = None,
    expect_hw: tuple[int, int] | None = None, over_black: bool = False,
    times: list[float] | None = None, tick: list[float] | None = None,
) -> Iterator[np.ndarray]:
    """Decoded frames [start, end) as display-oriented RGB, resized to out_hw when given.

    expect_hw: the display size every frame must have (images of a folder). over_black:
    transparent pixels count as black (a painted layer: transparent means not painted).
    times: gets when each frame yielded is shown, in seconds from the first frame decoded
    (NaN where the file does not say); tick: gets the file's clock step, in seconds (a GIF's
    hundredth of a second), where it says.
    """
    if path.suffix.lower() in (".jpg", ".jpeg") and not _jpeg_complete(path):
        raise damaged(path)
    try:
        with open_input(path) as container:
            streams = [s for s in container.streams.video if not (s.disposition & _ATTACHED_PIC)]
            if not streams or streams[0].codec_context is None:
                raise damaged(path)  # never decode without a codec context (PyAV issue 2344)
            stream = streams[0]
            if tick is not None and stream.time_base:
                tick.append(float(stream.time_base))
            stream.thread_type = "SLICE"  # no frame threads: early exits need no draining
            stream.codec_context.thread_count = DECODE_THREADS
            zero, ops = None, None
            for i, frame in enumerate(container.decode(stream)):
                if i == 0:
                    zero = frame.time
                    # The stream's orientation, from its first frame: once, not at every frame.
                    ops = orientation(display_values(av, frame), frame.rotation)
                if i < start:
                    continue
                if end is not None and i >= end:
                    break
                if times is not None:
                    known = frame.time is not None and zero is not None
                    times.append(frame.time - zero if known else math.nan)
                yield _to_rgb(path, frame, ops, out_hw, expect_hw, over_black)
    except av.FFmpegError as exc:
        raise damaged(path) from exc


def _to_rgb(
    path: Path, frame: av.VideoFrame, ops: Orientation, out_hw: tuple[int, int] | None,
    expect_hw: tuple[int, int] | None, over_black: bool = False,
) -> np.ndarray:
    turned = ops[0]
    disp_hw = (frame.width, frame.height) if turned else (frame.height, frame.width)
    if expect_hw is not None and disp_hw != expect_hw:
        raise InputError(f"{path.parent.name}/{path.name}: is {disp_hw[1]}x{disp_hw[0]} but "
                         f"the first image is {expect_hw[1]}x{expect_hw[0]}; all images must "
                         "have the same size")
    h, w = out_hw or disp_hw
    nat_w, nat_h = (h, w) if turned else (w, h)
    fmt = "rgba" if over_black else "rgb24"
    if (nat_w, nat_h) == (frame.width, frame.height):
        rgb = frame.to_ndarray(format=fmt)
    else:
        # Area averaging: an antialiased downscale.
        rgb = frame.reformat(width=nat_w, height=nat_h, format=fmt,
                             interpolation="AREA").to_ndarray()
    if over_black:  # composited over black: colour times opacity
        alpha = rgb[..., 3:].astype(np.uint16)
        rgb = ((rgb[..., :3] * alpha + 127) // 255).astype(np.uint8)
    return orient_frame(rgb, ops)


def _off_rate(shown: np.ndarray, fps: float, tick: float = 0.0) -> bool:
    """Some frame shown a sixth of a frame early or late against an even `fps` (a phone's
    variable frame rate, or a range of it at another rate than the file's average), with
    the slack of time stamps rounded to the file's clock (`tick`; at least 2 ms): a 30 fps
    GIF's frames are 3 and 4 hundredths of a second apart, evenly on average."""
    steps = np.diff(shown)
    return bool(np.any(np.abs(steps - 1.0 / fps) > 1.0 / (6.0 * fps) + max(tick, 0.002)))


def _notes(info: VideoInfo, h: int, w: int, over_black: bool = False,
           uneven: bool = False, fps: Fraction | None = None) -> list[str]:
    notes = []
    if info.mirrored:
        turned = f", then turned {info.rotation}° counter-clockwise" if info.rotation else ""
        notes.append(f"mirrored left to right{turned} (orientation metadata)")
    elif info.rotation:
        notes.append(f"rotated {info.rotation}° counter-clockwise (rotation metadata)")
    if info.pixel_aspect != 1:
        a = info.pixel_aspect
        notes.append(f"non-square pixels ({a.numerator}:{a.denominator}): read as {info.width}x"
                     f"{info.height} square pixels, the shape it is shown at")
    if (h, w) != (info.height, info.width):
        notes.append(f"downscaled from {info.width}x{info.height} to {w}x{h}")
    if info.alpha and not over_black:
        notes.append("transparency (alpha) ignored: the colours are used as they are")
    if uneven:
        notes.append(f"variable frame rate: frames are used evenly spaced at "
                     f"{rate_text(fps or info.fps)} "
                     "fps, so the timing can differ from the source")
    return notes


@dataclass
class _Plan:
    """What read_video will decode, known from the probe alone."""

    path: Path
    name: str
    info: VideoInfo
    total: int  # frames in the whole source
    chosen: list[Path]  # the images to read (image folders)
    expected: int  # frames in the range
    h: int
    w: int
    notes: list[str]  # of the sequence's numbering (image folders)


def _plan(path: Path, start: int, end: int | None, max_side: int | None, max_pixels: int,
          max_voxels: int) -> _Plan:
    name = path.name or str(path)
    if start < 0:
        raise InputError(f"{name}: the first frame (--start) cannot be negative (got {start})")
    if end is not None and end <= start:
        raise InputError(f"{name}: --end {end} must come after --start {start} (frames "
                         f"{start} to {end - 1} are used; --end is the frame to stop before)")
    if max_side is not None and max_side < 1:
        raise InputError(f"{name}: --max-side must be at least 1 (got {max_side})")
    if not path.exists():
        raise InputError(f"{name}: file not found")
    chosen: list[Path] = []
    numbering: list[str] = []
    if path.is_dir():
        files = list_images(path)
        numbering = numbering_notes(files)
        info = probe(files[0])  # checks the first image in the child process
        total = len(files)
        info = VideoInfo(path, info.width, info.height, total, DEFAULT_IMAGE_FPS,
                         total / float(DEFAULT_IMAGE_FPS), kind="images", rotation=info.rotation,
                         alpha=info.alpha, mirrored=info.mirrored)
        chosen = files[start:end]
    else:
        # +16 packets: B-frame reordering can need a few beyond the range.
        info = probe(path, limit=end + 16 if end is not None else 0)
        total = info.frames
    if start >= max(total, 1) and info.frames_exact:
        raise InputError(f"{name}: the frame range starts at frame {start} but there "
                         f"{'is only 1 frame' if total == 1 else f'are only {total} frames'}")
    expected = max(0, min(total, end if end is not None else total) - start)
    h, w = _check_size(name, info.height, info.width, expected, max_side, max_pixels, max_voxels)
    return _Plan(path, name, info, total, chosen, expected, h, w, numbering)


def _whole_count(info: VideoInfo, total: int, start: int, count: int, expected: int,
                 end: int | None) -> int:
    """The whole source's frame count where it is known, else 0: a Matroska file probed only
    up to --end has an estimate from its duration, no count to check a mask's by."""
    if end is None or count < expected:  # read to the file's end: counted
        return start + count
    return max(total, start + count) if info.frames_exact else 0


def source_shape(
    path: str | os.PathLike[str], *, start: int = 0, end: int | None = None,
    max_side: int | None = None, max_pixels: int = MAX_PIXELS, max_voxels: int = MAX_VOXELS,
) -> tuple[int, int, int]:
    """The (T, H, W) read_video would return, from the probe alone (nothing is decoded).

    Raises the same InputErrors as read_video for a missing or unreadable file, a bad range
    or an input over the caps. T is an estimate for formats without a frame index.
    """
    plan = _plan(Path(path).expanduser(), start, end, max_side, max_pixels, max_voxels)
    return max(1, plan.expected), plan.h, plan.w


def read_video(
    path: str | os.PathLike[str], *, start: int = 0, end: int | None = None,
    max_side: int | None = None, max_pixels: int = MAX_PIXELS, max_voxels: int = MAX_VOXELS,
    min_frames: int = 1, over_black: bool = False, cancel: Callable[[], bool] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> VideoClip:
    """Decode frames [start, end) of a video, a single image or a folder of numbered images.

    max_side downscales (aspect kept) so the longest side fits; rotation metadata is
    applied. over_black: transparent pixels read as black (mask and hint layers: transparent
    is unpainted); else transparency is ignored. Every problem with the input is raised as
    one InputError line. cancel: polled at every frame (a read of minutes the editor has
    moved on from stops, raising Cancelled). progress(read, expected): called at every
    frame read (expected is the probe's count for the range, which may be an estimate).
    """
    def check() -> None:
        if cancel is not None and cancel():
            raise Cancelled()

    def took() -> None:
        if progress is not None:
            progress(buf.count, max(buf.count, expected))

    plan = _plan(Path(path).expanduser(), start, end, max_side, max_pixels, max_voxels)
    path, name, info, total, chosen = plan.path, plan.name, plan.info, plan.total, plan.chosen
    expected, h, w = plan.expected, plan.h, plan.w

    buf = _FrameBuffer(expected, h, w)
    times: list[float] = []
    tick: list[float] = []
    if info.kind == "images":
        first_hw = (info.height, info.width)
        for file in chosen:
            for rgb in iter_frames(file, (h, w), 0, 1, expect_hw=first_hw, over_black=over_black):
                check()
                buf.append(rgb)
                took()
    else:
        for rgb in iter_frames(path, (h, w), start, end, over_black=over_black, times=times,
                               tick=tick):
            check()
            buf.append(rgb)
            took()
            if buf.count * h * w > max_voxels:
                _check_size(name, info.height, info.width, max(buf.count, expected), max_side,
                            max_pixels, max_voxels)
    count = buf.count
    if count == 0:
        raise InputError(f"{name}: no frames in the range {start}..{end}"
                         if start else f"{name}: has no frames")
    if count < min_frames:
        where = " in the chosen range" if (start or end is not None) else ""
        raise InputError(f"{name}: has only {count} frame{'s' if count != 1 else ''}{where}; "
                         f"at least {min_frames} are needed")
    shown = np.asarray(times[:count], np.float64)
    known = len(shown) == count and bool(np.isfinite(shown).all())
    fps = info.fps if info.fps > 0 else DEFAULT_IMAGE_FPS
    # The frames decoded tell whether the range plays at the clip's rate; the probe reads
    # only up to the range's end, too few packets to tell for a short range.
    checkable = known and count >= 2 and info.fps > 0
    whole = start == 0 and count >= total  # the probe's rate is the clip's own (a GIF's from
    # all its delays: the time stamps' span leaves out the last one, 30.4 for a 30 fps GIF)
    if checkable and not whole:  # a range of a variable-rate clip at its own rate
        fps = range_rate(shown, fps)
    uneven = _off_rate(shown, float(fps), tick[0] if tick else 0.0) if checkable \
        else info.variable_rate
    notes = _notes(info, h, w, over_black, uneven, fps) + plan.notes
    if fps != info.fps and info.fps > 0:
        notes.append(f"frames {start}..{start + count - 1} play at {rate_text(fps)} fps, their "
                     f"own rate in the source (the whole clip averages {rate_text(info.fps)} fps)")
    if info.fps <= 0:
        notes.append(f"frame rate unknown; assuming {fps} fps")
    if start or (end is not None and end < total):
        notes.append(f"frames {start}..{start + count - 1} of {total}")
    if end is not None and end > start + count:  # asked past the clip's end: said, not hidden
        notes.append(f"--end {end} is past the clip's last frame: frames {start}..{start + count - 1} "
                     "used")
    return VideoClip(
        frames=buf.result(), fps=Fraction(fps), path=path, has_audio=info.has_audio,
        start_frame=start, source_frames=_whole_count(info, total, start, count, expected, end),
        notes=notes,
        times=shown if known else None,
    )
