"""Writing results to disk on a worker: the result, or every favourite (computing the ones
not finished yet). engine.io.write_video does the writing atomically; this module names
the files, passes the audio of the in/out range, and reports progress.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from app.state.media import Selection
from app.workers import jobs
from app.workers.generation import engine_levels
from engine.io.clip import VIDEO_OUT_EXTS
from engine.request import Request

STILL = "PNG image (one frame)"
FORMATS = {  # label -> (kind, suffix)
    "MP4 video (H.264)": ("mp4", ".mp4"),
    "GIF animation": ("gif", ".gif"),
    "PNG frames (folder)": ("png", ""),
    STILL: ("still", ".png"),  # offered for a one-frame result only
}
DEFAULT_CRF = 18
COMPUTE_SHARE = 0.9  # of a computed favourite's stretch of the bar: its run (then the write)
KNOWN_SUFFIXES = (*VIDEO_OUT_EXTS, ".gif", ".png")  # output suffixes a typed name may carry


@dataclass(frozen=True)
class ExportItem:
    """One output: finished frames, or a request still to compute (a favourite), made from
    `selection` (None: the export's own)."""

    seed: int
    request: Request
    frames: np.ndarray | None = field(default=None, repr=False, compare=False)
    selection: Selection | None = field(default=None, repr=False, compare=False)
    # What the worker does to the request first (a sketch's frames: seconds of a long or
    # Full-HD clip, kept off the GUI thread), as for a run (GenerationRunner.start).
    prepare: Callable[..., Request] | None = field(default=None, repr=False,
                                                         compare=False)


@dataclass(frozen=True)
class ExportProgress:
    fraction: float  # 0..1 over all items
    text: str
    # A favourite this export computed: (its item, selection, final LevelResult), so that
    # the session keeps the video (it was computed again by every later export).
    made: tuple | None = field(default=None, repr=False, compare=False)


def output_name(stem: str, seed: int, kind: str) -> str:
    """name_seed0007.mp4 / .gif, or name_seed0007_frames for a PNG folder."""
    base = f"{stem}_seed{seed:04d}"
    return {"mp4": base + ".mp4", "gif": base + ".gif", "still": base + ".png"}.get(kind, base + "_frames")


def normalize_target(path: str | Path, kind: str) -> Path:
    """Give a typed name the format's suffix (a PNG folder gets none; H.264 keeps a typed
    .mov or .mkv, which the writer makes too)."""
    p = Path(path).expanduser()
    suffix = {"mp4": ".mp4", "gif": ".gif", "still": ".png"}.get(kind, "")
    if kind == "png":
        return p.with_suffix("") if p.suffix.lower() in KNOWN_SUFFIXES else p
    if p.suffix.lower() == suffix or (kind == "mp4" and p.suffix.lower() in VIDEO_OUT_EXTS):
        return p
    # Another format's suffix is replaced ("x.mp4" as a PNG image is x.png), any other kept.
    return p.with_suffix(suffix) if p.suffix.lower() in KNOWN_SUFFIXES else p.with_name(p.name + suffix)


def writer_target(target: Path) -> str:
    """The name as the writer reads it: a target without an output suffix is a PNG folder
    (the dialog gives every file its format's suffix), so it ends in a separator, which
    keeps a dot in the name ("trip.2023 beach_frames") from reading as a file type."""
    return str(target) if target.suffix.lower() in KNOWN_SUFFIXES else str(target).rstrip("/\\") + "/"


def export_job(items: list[ExportItem], targets: list[Path], selection: Selection,
               crf: int = DEFAULT_CRF, protect: tuple[Path, ...] = ()) -> jobs.Job:
    """A job writing items[i] to targets[i]; returns (the written paths, notes for the
    user such as a sound left out and why). `protect`: inputs never written over (the
    source, clip A)."""
    from engine.io import output_kind, write_video

    count = len(items)
    default = selection

    def work(job: jobs.Job) -> tuple[list[Path], list[str]]:
        written: list[Path] = job.kept  # a cancel or failure keeps (and names) these
        notes: list[str] = []
        for i, (item, target) in enumerate(zip(items, targets, strict=True)):
            selection = item.selection or default
            frames = item.frames
            if frames is None:
                job.report(ExportProgress(i / count, f"Computing seed {item.seed}…"))
                request = item.prepare(item.request, job.is_cancelled) if item.prepare else item.request
                for level in engine_levels(selection.frames, request, job.is_cancelled):
                    frames = level.frames
                    # Each level moves the bar (the run is most of this file's time: the bar
                    # sat still for minutes on a Full-HD one), the write its last tenth.
                    job.report(ExportProgress(
                        (i + COMPUTE_SHARE * level.level / level.levels) / count,
                        f"Computing seed {item.seed} (level {level.level}/{level.levels})…",
                        (item, selection, level) if level.final else None))
                start = COMPUTE_SHARE
            else:
                start = 0.0

            def progress(done: int, total: int, i: int = i, name: str = target.name,
                         start: float = start) -> None:
                job.report(ExportProgress((i + start + (1 - start) * done / max(total, 1)) / count,
                                          f"Writing {name} ({done}/{total})"))

            # Sound is asked for a video only: a GIF or PNG has none by the user's choice, so
            # the notes are of a video's sound left out (another duration), and why.
            sound = selection.has_audio and output_kind(writer_target(target)) == "video"
            gone = selection.sound_gone() if sound else ""
            if gone:  # its sound now would be another clip's, or none: left out, and said
                notes.append(f"{target.name}: audio dropped: {gone}")
                sound = False
            written.append(write_video(
                frames, writer_target(target), fps=selection.output_fps, crf=crf,
                audio_from=selection.path if sound else None,
                audio_start=selection.start_seconds, source_duration=selection.duration,
                progress=progress, cancel=job.is_cancelled,
                warn=lambda message, name=target.name: notes.append(f"{name}: {message}"),
                protect=[p for p in (selection.path, *protect) if p],
            ))
            job.report(ExportProgress((i + 1) / count, f"Written {target.name}"))
        return list(written), notes

    return jobs.Job(work, name="export")
