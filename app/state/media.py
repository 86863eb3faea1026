"""The opened source clip: reading it (on a worker), describing it, and the in/out
selection that generation and export use.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

from engine.io.clip import (
    MAX_PIXELS,
    MAX_VOXELS,
    VideoClip,
    max_side_hint,
    pixel_count,
    rate_text,
)

_serials = itertools.count(1)


def frames_text(n: int) -> str:
    """"1 frame", "13 frames": a still result or source reads as one."""
    return f"{n} frame" if n == 1 else f"{n} frames"


# What the file dialogs offer as clips, masks and sketches: the videos and images engine.io reads.
MEDIA_PATTERNS = ("*.mp4 *.mov *.mkv *.avi *.webm *.m4v *.mts *.m2ts *.ts *.mpg *.mpeg *.3gp "
                  "*.wmv *.flv *.ogv *.y4m *.gif *.png *.jpg *.jpeg *.bmp *.tif *.tiff *.webp")


def project_not_clip(path: str | Path, takes: str) -> str:
    """What to say of a project file given where a clip, a mask or a sketch is read, in
    the editor's terms (the engine's message names the command line); `takes`: a sentence
    on what is read there."""
    return (f"{Path(path).name} is a VGPNN project, not a video or image: open it with "
            f"File ▸ Open (or drop it on the viewer) to work on it. {takes}")


@dataclass(frozen=True)
class Source:
    """A clip as read for editing, with a serial number that identifies its frames (the
    same for the same file, unchanged, read again)."""

    clip: VideoClip = field(repr=False)
    serial: int = field(default_factory=lambda: next(_serials))
    # The file as it was read (_identity): an export takes its sound from the file only
    # while it is still that file. None: not known (then it is taken as it is).
    identity: tuple | None = field(default=None, compare=False, repr=False)

    @property
    def frames(self) -> np.ndarray:
        return self.clip.frames

    @property
    def fps(self) -> float:
        return float(self.clip.fps)

    @property
    def path(self) -> Path | None:
        return self.clip.path

    @property
    def name(self) -> str:
        return self.path.name if self.path else "clip"

    @property
    def width(self) -> int:
        return int(self.frames.shape[2])

    @property
    def height(self) -> int:
        return int(self.frames.shape[1])

    @property
    def length(self) -> int:
        return int(self.frames.shape[0])

    def describe(self) -> str:
        """"name — 256×144 · 13 frames · 10 fps · 1.30 s"."""
        fps_text = rate_text(self.clip.fps)  # 29.97, 59.94, 23.976 as cameras name them
        audio = " · audio" if self.clip.has_audio else ""
        # Read smaller than the file (over the memory caps): the header keeps saying so.
        shrunk = next((f" (downscaled from {n.split()[2]})" for n in self.clip.notes
                       if n.startswith("downscaled from ")), "")
        return (f"{self.name} — {self.width}×{self.height}{shrunk} · {frames_text(self.length)} · "
                f"{fps_text} fps · {self.clip.duration:.2f} s{audio}")

    def selection(self, in_point: int, out_point: int) -> Selection:
        return Selection(
            frames=self.frames[in_point : out_point + 1],
            token=(self.serial, in_point, out_point),
            fps=self.clip.rate_of(in_point, out_point),  # a variable-rate range's own
            path=self.path,
            in_point=in_point,
            has_audio=self.clip.has_audio,
            identity=self.identity,
            start_time=self.clip.seconds_at(in_point),
        )


@dataclass(frozen=True)
class Selection:
    """The in/out range of a source: the input of a run, and the audio of an export."""

    frames: np.ndarray = field(repr=False, compare=False)  # (T, H, W, 3) uint8
    token: tuple  # (source serial, in, out): identifies the frames for caching
    fps: Fraction
    path: Path | None
    in_point: int
    has_audio: bool = False
    identity: tuple | None = field(default=None, compare=False, repr=False)  # Source's
    # The result's frame rate where it is not the source's: an analogy plays at clip A's.
    out_fps: Fraction | None = field(default=None, compare=False)
    # When the in point is shown in the source, in seconds (a variable-rate clip's frame i
    # is not at i / fps); None: in_point / fps.
    start_time: float | None = field(default=None, compare=False)

    @property
    def output_fps(self) -> Fraction:
        return self.out_fps or self.fps

    @property
    def length(self) -> int:
        return int(self.frames.shape[0])

    def sound_gone(self) -> str:
        """Why the file's sound is no longer this clip's ("" while it is): the file was
        deleted, or changed on disk since it was read (another recording of that name)."""
        if not self.has_audio or self.path is None or self.identity is None:
            return ""
        if not os.path.exists(self.path):
            return f"{self.path.name} is no longer on disk"
        if _identity(self.path) != self.identity:
            return f"{self.path.name} has changed on disk since it was opened"
        return ""

    @property
    def start_seconds(self) -> float:
        return self.start_time if self.start_time is not None else self.in_point / float(self.fps)

    @property
    def duration(self) -> float:
        return self.length / float(self.fps)

    @property
    def stem(self) -> str:
        return self.path.stem if self.path else "result"


def read_source(path: str | Path, cancel: Callable[[], bool] | None = None) -> Source:
    """Read a whole clip for editing (call on a worker thread: it may take seconds).

    Clips over the engine's memory caps are downscaled to the largest size that fits,
    with a note, instead of being refused.
    """
    from engine.io import probe, read_video

    info = probe(path)
    max_side = None
    h, w, t = info.height, info.width, max(info.frames, 1)
    if h * w > MAX_PIXELS or t * h * w > MAX_VOXELS:
        max_side = max_side_hint(h, w, t, MAX_PIXELS, MAX_VOXELS)
        if max_side is not None and max_side < 16:
            max_side = None  # read_video explains why it cannot be opened
    identity = _identity(Path(path))
    clip = read_video(path, max_side=max_side, cancel=cancel)
    if max_side is not None:  # why, as the command line says it: the note said only that it was
        why = (f"frames over the editor's limit of {pixel_count(MAX_PIXELS)}" if h * w > MAX_PIXELS
               else f"{t} frames of {w}x{h} over the editor's limit of {pixel_count(MAX_VOXELS)} "
                    "a clip (it keeps the whole clip in memory; cut it shorter to keep its size)")
        clip.notes = [f"{n}: {why}" if n.startswith("downscaled from ") else n for n in clip.notes]
    if identity is None:
        return Source(clip)
    return Source(clip, _serial_for((*identity, max_side)), identity)


_known: dict[tuple, int] = {}


def _serial_for(identity: tuple) -> int:
    """One serial per file as it was on disk: the same file opened again (unchanged) gives
    the same frames, so its results stay current and cached."""
    if identity not in _known:
        _known[identity] = next(_serials)
    return _known[identity]


def _identity(path: Path) -> tuple | None:
    """(path, size, modification time) of a file, or of every file of a folder of frames;
    None when it cannot be told (then every read is new)."""
    try:
        p = path.expanduser().resolve()
        if p.is_dir():
            return (str(p), *sorted((e.name, e.stat().st_size, e.stat().st_mtime_ns)
                                    for e in os.scandir(p) if e.is_file()))
        st = p.stat()
        return (str(p), st.st_size, st.st_mtime_ns)
    except OSError:
        return None
