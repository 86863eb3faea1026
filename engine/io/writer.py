"""write_video: H.264 video, animated GIF or a folder of PNG frames, written atomically."""

from __future__ import annotations

import contextlib
import functools
import math
import os
import secrets
import shutil
import tempfile
from collections.abc import Callable, Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from engine.errors import Cancelled, EngineError, InputError
from engine.io.audio import AudioCarrier, audio_stream_info
from engine.io.gif import Quantizer
from engine.io.partials import held, remove, sweep_stale
from engine.io.paths import check_not_input, output_kind, side_name

ENCODE_THREADS = 2
_FRAME_GLOB = "frame_*.png"
# A hidden file in every frames folder this tool writes: only such a folder is replaced by
# the next write (FFmpeg's own `frame_%05d.png` extraction makes the very same names).
FRAMES_MARK = ".vgpnn-frames"


def _check_frames(frames: np.ndarray) -> None:
    if not isinstance(frames, np.ndarray) or frames.dtype != np.uint8 or frames.ndim != 4 \
            or frames.shape[-1] != 3 or 0 in frames.shape:
        raise ValueError(f"frames must be a non-empty (T, H, W, 3) uint8 array, got "
                         f"{getattr(frames, 'shape', '?')} {getattr(frames, 'dtype', '')}")


def _even(frames: np.ndarray, warn: Callable[[str], None]) -> np.ndarray:
    """yuv420p needs even sizes: replicate the last row/column rather than refuse."""
    _, h, w, _ = frames.shape
    ph, pw = h % 2, w % 2
    if not (ph or pw):
        return frames
    warn(f"padded {w}x{h} to {w + pw}x{h + ph} (H.264 needs even sizes)")
    return np.pad(frames, ((0, 0), (0, ph), (0, pw), (0, 0)), mode="edge")


class _Steps:
    """progress(done, total) and cancel() around every frame."""

    def __init__(self, total: int, progress: Callable[[int, int], None] | None,
                 cancel: Callable[[], bool] | None) -> None:
        self.total, self._progress, self._cancel = total, progress, cancel

    def check(self) -> None:
        if self._cancel is not None and self._cancel():
            raise Cancelled()

    def done(self, n: int) -> None:
        if self._progress is not None:
            self._progress(n, self.total)


def _write_h264(frames: np.ndarray, tmp: Path, fps: Fraction, crf: int, steps: _Steps,
                audio: tuple[Path, float, float] | None) -> None:
    options = {"movflags": "+faststart"} if tmp.suffix.lower() in (".mp4", ".mov") else {}
    with av.open(os.fspath(tmp), "w", options=options) as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height = frames.shape[2], frames.shape[1]
        stream.pix_fmt = "yuv420p"
        stream.codec_context.time_base = 1 / fps  # exact rate: one tick per frame
        stream.codec_context.thread_count = ENCODE_THREADS
        stream.options = {"crf": str(crf), "preset": "medium", **_x264_repeatable()}
        # Tag what swscale's RGB->YUV conversion produces (BT.601, limited range) so players
        # do not guess BT.709 for HD sizes and shift the colours.
        ctx = stream.codec_context
        ctx.colorspace = ctx.color_primaries = ctx.color_trc = 6  # SMPTE 170M (BT.601)
        ctx.color_range = 1  # MPEG / limited
        carrier = AudioCarrier(audio[0], out, audio[1], audio[2]) if audio else None
        try:
            for i, rgb in enumerate(frames):
                steps.check()
                frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
                frame.pts = i
                out.mux(stream.encode(frame))
                steps.done(i + 1)
            out.mux(stream.encode(None))
            if carrier is not None:
                carrier.write()
        finally:
            if carrier is not None:
                carrier.close()


@functools.cache
def _x264_repeatable() -> dict[str, str]:
    """x264 options that make the same frames give the same file. x264's AVX-512 code (in
    the encoder PyAV ships) encodes the same frames differently from one encoder to the
    next in a process (measured: 3 different files in 8, up to 18 grey levels apart);
    AVX2 and older are repeatable and about as fast. Only where the CPU has AVX-512 (Linux
    tells): naming a level the CPU lacks would crash the encoder."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as fh:
            avx512 = any(line.startswith("flags") and " avx512f" in line for line in fh)
    except OSError:
        return {}
    return {"x264-params": "asm=AVX2"} if avx512 else {}


def _write_gif(frames: np.ndarray, tmp: Path, fps: Fraction, steps: _Steps) -> None:
    quant = Quantizer(frames)
    with av.open(os.fspath(tmp), "w", format="gif") as out:
        stream = out.add_stream("gif", rate=fps)
        stream.width, stream.height = frames.shape[2], frames.shape[1]
        stream.pix_fmt = "pal8"
        stream.codec_context.time_base = 1 / fps
        for i, rgb in enumerate(frames):
            steps.check()
            frame = av.VideoFrame.from_ndarray((quant.indices(rgb), quant.argb), format="pal8")
            frame.pts = i
            out.mux(stream.encode(frame))
            steps.done(i + 1)
        out.mux(stream.encode(None))


# GIF delays are whole hundredths of a second, and players treat those under 2 as 10.
GIF_MAX_FPS = 50


def _gif_rate(frames: np.ndarray, fps: Fraction, warn: Callable[[str], None]
              ) -> tuple[np.ndarray, Fraction]:
    """Frames and rate a GIF can play: over 50 fps every k-th frame is kept, at fps / k,
    so the GIF lasts as long as the video (faster frames cannot be timed)."""
    k = math.ceil(fps / GIF_MAX_FPS)
    if k <= 1:
        return frames, fps
    warn(f"a GIF plays at most {GIF_MAX_FPS} fps: every {k}{_ordinal(k)} frame kept, at "
         f"{float(fps / k):.3g} fps")
    return frames[::k], fps / k


def _ordinal(n: int) -> str:
    return "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")


def _write_png(rgb: np.ndarray, tmp: Path) -> None:
    """One lossless RGB PNG file."""
    with av.open(os.fspath(tmp), "w", format="image2", options={"update": "1"}) as out:
        stream = out.add_stream("png", rate=1)
        stream.width, stream.height = rgb.shape[1], rgb.shape[0]
        stream.pix_fmt = "rgb24"
        out.mux(stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")))
        out.mux(stream.encode(None))


def write_frames_png(frames: np.ndarray, folder: Path, steps: _Steps | None = None) -> None:
    """frame_00001.png ... into an existing folder (lossless RGB)."""
    steps = steps or _Steps(len(frames), None, None)
    # FFmpeg reads every % of the pattern as a format code: a folder "50% off" is escaped.
    pattern = os.path.join(os.fspath(folder).replace("%", "%%"), "frame_%05d.png")
    with av.open(pattern, "w", format="image2", options={"start_number": "1"}) as out:
        stream = out.add_stream("png", rate=25)
        stream.width, stream.height = frames.shape[2], frames.shape[1]
        stream.pix_fmt = "rgb24"
        for i, rgb in enumerate(frames):
            steps.check()
            # (A frame at a time: frames may be a view, a mask's grey broadcast to RGB.)
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
            frame.pts = i
            out.mux(stream.encode(frame))
            steps.done(i + 1)
        out.mux(stream.encode(None))


def _held(path: Path) -> list[Path]:
    """What a frames folder holds beside the tool's mark (and macOS's .DS_Store)."""
    return [p for p in path.iterdir() if p.name not in (".DS_Store", FRAMES_MARK)]


def written_frames_folder(path: Path) -> bool:
    """Whether `path` is a folder of frames this tool wrote (its mark, and frames only)."""
    try:
        held = _held(path)
    except OSError:
        return False
    return (path / FRAMES_MARK).is_file() and all(p.match(_FRAME_GLOB) for p in held)


def _check_folder_target(path: Path) -> None:
    if path.exists() and not path.is_dir():
        raise InputError(f"{path.name}: exists and is a file, not a folder for PNG frames")
    if not path.is_dir():
        return
    held = _held(path)
    if any(not p.match(_FRAME_GLOB) for p in held):
        raise InputError(f"{path.name}: the folder has other files in it; choose an empty or "
                         "new folder for the PNG frames")
    if held and not (path / FRAMES_MARK).is_file():
        raise InputError(f"{path.name}: the folder holds PNG frames that this tool did not "
                         "write, which would be replaced; choose an empty or new folder")


def _replace_folder(tmp: Path, path: Path) -> None:
    """Swap the finished folder in; an old frames-only folder is removed after the swap."""
    if not path.exists():
        os.replace(tmp, path)
        return
    old = _side_name(path, "old")
    os.replace(path, old)
    try:
        os.replace(tmp, path)
    except OSError:
        os.replace(old, path)  # put the previous output back
        raise
    shutil.rmtree(old, ignore_errors=True)


def _side_name(path: Path, tag: str) -> Path:
    """A hidden sibling name (same folder, so os.replace stays a rename)."""
    return side_name(path, tag, secrets.token_hex(4))


def check_target(path: str | os.PathLike[str], protect: Sequence[Path | str | None] = (),
                 crf: int | None = None) -> str:
    """Everything about an output that can be refused before any work: its name and kind,
    its folder (there, a folder, writable), the inputs it must not overwrite (`protect`),
    a frames folder that holds other files, and the H.264 quality. Returns the kind
    (engine.io.paths.output_kind). write_video checks the same again as it writes."""
    text = os.fspath(path)
    target = Path(text).expanduser()
    if not text.strip() or not target.name or target.name in (".", ".."):
        raise InputError(f"{text!r} is not a name for an output; give a file name such as "
                         "out.mp4, or a folder name for PNG frames")
    if text.strip() == "-":  # a folder of PNG frames named "-" was written
        raise InputError("-o -: writing to stdout is not supported; give a file name such as "
                         "out.mp4 (or a folder name for PNG frames)")
    if target.exists() and not target.is_dir() and not target.is_file():
        raise InputError(f"{text}: not a file or folder (a device or a pipe); give a file name "
                         "such as out.mp4")
    if target.name.lower() in (".mp4", ".mov", ".mkv", ".gif", ".png"):
        # A suffix alone reads as a hidden folder of frames: surely not what was meant.
        raise InputError(f"{target.name!r} is only a suffix; give a name such as "
                         f"out{target.name.lower()}")
    kind = output_kind(text)
    if crf is not None and not 0 <= crf <= 51:
        raise InputError(f"{target.name}: crf must be 0..51 (got {crf})")
    check_not_input(target, [Path(p).expanduser() for p in protect if p is not None])
    folder = target.parent
    if not folder.exists():
        raise InputError(f"{target.name}: the folder {folder} does not exist")
    if not folder.is_dir():
        raise InputError(f"{target.name}: {folder} is a file, not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(f"{target.name}: cannot write into {folder} (read-only or no permission)")
    _try_a_file_in(folder, target.name)
    if kind == "frames":
        _check_folder_target(target)
    return kind


def _try_a_file_in(folder: Path, name: str) -> None:
    """Make and remove a file where the output goes: os.access says yes to root on a
    read-only mount's folder or in /proc, and the run then failed only at its end."""
    try:
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".vgpnn-probe-")
    except OSError as exc:
        raise InputError(f"{name}: cannot write into {folder} ({(exc.strerror or str(exc)).lower()})") from None
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(probe)


def write_video(
    frames: np.ndarray, path: str | os.PathLike[str], *, fps: Fraction, crf: int = 18,
    audio_from: Path | None = None, audio_start: float = 0.0,
    source_duration: float | None = None,
    progress: Callable[[int, int], None] | None = None,
    cancel: Callable[[], bool] | None = None, warn: Callable[[str], None] | None = None,
    protect: Sequence[Path] = (),
) -> Path:
    """Write (T, H, W, 3) uint8 RGB frames; the kind follows the name (see output_kind).

    Video gets the sound of audio_from (from audio_start s) only when its length T/fps
    matches source_duration (default: audio_from's video length) within half a frame.
    The file appears only when complete; on any error or cancel nothing is left behind.
    Returns the written path.
    """
    _check_frames(frames)
    warn = warn or (lambda _msg: None)
    kind = check_target(path, [*protect, audio_from], crf=crf)
    path = Path(path).expanduser()
    # A float rate (29.97) becomes a small fraction; a huge denominator breaks muxers.
    fps = Fraction(fps)
    if fps.denominator > 10_000:
        fps = fps.limit_denominator(10_000)
    if fps <= 0:
        raise InputError(f"{path.name}: frame rate must be positive (got {fps})")

    audio = None
    if audio_from is not None:
        has_audio, src_len = audio_stream_info(Path(audio_from).expanduser())
        out_len = len(frames) / float(fps)
        if source_duration is not None:
            src_len = source_duration
        if not has_audio:
            pass
        elif kind != "video":
            warn(f"audio dropped: {'GIF files' if kind == 'gif' else 'PNG images'} have no sound")
        elif src_len is None or abs(out_len - src_len) > 0.5 / float(fps):
            src_text = "unknown" if src_len is None else f"{src_len:.2f} s"
            warn(f"audio dropped: output is {out_len:.2f} s, source is {src_text}")
        else:
            audio = (Path(audio_from).expanduser(), float(audio_start), out_len)

    if kind == "gif":
        frames, fps = _gif_rate(frames, fps, warn)
    steps = _Steps(len(frames), progress, cancel)
    if kind == "image" and len(frames) != 1:
        raise InputError(f"{path.name}: a .png output holds one frame but the result has "
                         f"{len(frames)}; use a folder, .mp4 or .gif")
    # Created with the usual permissions (mkstemp would make it private to the user).
    sweep_stale(path)  # what a writer of this target killed mid-write left behind
    tmp = _side_name(path, "partial")
    try:
        with held(tmp, folder=kind == "frames"):
            if kind == "video":
                _write_h264(_even(frames, warn), tmp, fps, crf, steps, audio)
            elif kind == "gif":
                _write_gif(frames, tmp, fps, steps)
            elif kind == "image":
                _write_png(frames[0], tmp)
            else:
                write_frames_png(frames, tmp, steps)
                (tmp / FRAMES_MARK).write_text("PNG frames written by the VGPNN editor; this file "
                                               "lets it replace them with a new result.\n")
            if kind == "frames":
                _replace_folder(tmp, path)
            else:
                os.replace(tmp, path)
    except BaseException as exc:
        remove(tmp)
        if isinstance(exc, (av.FFmpegError, OSError)):
            raise EngineError(f"{path.name}: could not write the output ({exc})") from exc
        raise
    return path
