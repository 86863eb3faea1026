"""Metadata of a video, image or image folder, read safely in a child process."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

from engine.errors import EngineError, InputError
from engine.io.clip import (
    DEFAULT_IMAGE_FPS,
    IMAGE_EXTS,
    MAX_PIXELS,
    VideoInfo,
    natural_key,
    orientation,
    pixel_count,
    turn_of,
)
from engine.io.paths import check_reachable

PROBE_TIMEOUT = 60.0  # seconds; a sane file opens in well under one
_CHILD_SOURCE = (Path(__file__).with_name("_probe_child.py")).read_text(encoding="utf-8")
_PATH_VARIABLE = "VGPNN_PROBE_PATH"  # read by the child (_probe_child.PATH_VARIABLE)

# Leading bytes of containers FFmpeg reads: a file that starts like one but fails to open
# is damaged, anything else is simply not a video.
_MAGIC = (b"\x1aE\xdf\xa3", b"RIFF", b"GIF8", b"OggS", b"FLV", b"\x00\x00\x01\xba",
          b"\x00\x00\x01\xb3", b"\x89PNG", b"\xff\xd8\xff", b"BM", b"II*\x00", b"MM\x00*",
          b"YUV4MPEG2")
_MP4_BOXES = (b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot")


def damaged(path: Path) -> InputError:
    return InputError(f"{path.name}: the file is damaged or truncated")


def _animated_webp(path: Path) -> bool:
    """An animated WebP (a VP8X header with the animation flag): FFmpeg has no decoder for
    its frames, so such a file reads as damaged although it is not."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(21)
    except OSError:
        return False
    return head[:4] == b"RIFF" and head[8:16] == b"WEBPVP8X" and len(head) > 20 and bool(head[20] & 0x02)


def unreadable(path: Path) -> InputError:
    """A media file that cannot be read: damaged, or a kind FFmpeg does not decode."""
    if _animated_webp(path):
        return InputError(f"{path.name}: an animated WebP, which FFmpeg cannot decode; convert "
                          "it to a GIF or an MP4 first")
    return damaged(path)


def _looks_like_media(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError:
        return False
    return head.startswith(_MAGIC) or head[4:8] in _MP4_BOXES


def _boxes_cut_short(path: Path) -> bool:
    """MP4/MOV: a top-level box that claims more bytes than the file has was cut off."""
    size = path.stat().st_size
    offset = 0
    with open(path, "rb") as fh:
        while offset + 8 <= size:
            fh.seek(offset)
            head = fh.read(16)
            length = int.from_bytes(head[:4], "big")
            if head[4:8] not in _MP4_BOXES and offset == 0:
                return False  # not an ISO media file
            if length == 1 and len(head) >= 16:
                length = int.from_bytes(head[8:16], "big")  # 64-bit size
            elif length == 0:
                return False  # runs to the end of the file by definition
            if length < 8:
                return True
            offset += length
    return offset > size


def _declared_size(path: Path) -> tuple[int, int] | None:
    """(width, height) a PNG or YUV4MPEG2 header declares, read without FFmpeg."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(256)
    except OSError:
        return None
    if head.startswith(b"\x89PNG\r\n\x1a\n") and head[12:16] == b"IHDR":
        return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
    if head.startswith(b"YUV4MPEG2 "):
        fields = head.split(b"\n", 1)[0].split()
        size = {f[:1]: f[1:] for f in fields[1:] if f[:1] in (b"W", b"H")}
        if size.get(b"W", b"").isdigit() and size.get(b"H", b"").isdigit():
            return int(size[b"W"]), int(size[b"H"])
    return None


def _too_large(path: Path) -> InputError | None:
    """A clear message for a file FFmpeg could not open because it declares huge frames."""
    size = _declared_size(path)
    if size is None or size[0] * size[1] <= MAX_PIXELS:
        return None
    w, h = size
    return InputError(f"{path.name}: declares frames of {w}x{h} ({pixel_count(w * h)}), too large "
                      f"to open (the limit is {pixel_count(MAX_PIXELS)} per frame)")


def _iso_tracks(path: Path) -> bool:
    """MP4/MOV: the moov box lists tracks (so a file where FFmpeg finds none is damaged)."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(64 << 20)
    except OSError:
        return False
    offset = 0
    while offset + 8 <= len(data):
        size, kind = int.from_bytes(data[offset : offset + 4], "big"), data[offset + 4 : offset + 8]
        if kind == b"moov":
            return b"trak" in data[offset : offset + max(size, 8)]
        if size < 8 or kind not in _MP4_BOXES:
            return False
        offset += size
    return False


def sequence_kind(image: Path) -> str:
    """The sequence an image file belongs to: its name with every number as "#", and its
    suffix (frame_0001.png and frame_0002.PNG: "frame_#.png")."""
    return re.sub(r"\d+", "#", image.stem) + image.suffix.lower()


def list_images(folder: Path) -> list[Path]:
    """Image files in a folder, in natural order of the numbers in their names."""
    try:
        entries = [p for p in folder.iterdir() if not p.name.startswith(".")]
    except OSError as exc:
        raise InputError(f"{folder.name}: cannot read the folder ({exc.strerror})") from exc
    files = [p for p in entries if p.suffix.lower() in IMAGE_EXTS and p.is_file()]
    if not files:
        raise InputError(f"{folder.name}: the folder has no images (png, jpg, bmp, tif)")
    # One sequence: names alike but for their numbers. Two (a*.png beside b*.jpg) would be
    # read as one clip, their frames interleaved.
    kinds: dict[str, int] = {}
    for f in files:
        kind = sequence_kind(f)
        kinds[kind] = kinds.get(kind, 0) + 1
    if len(kinds) > 1:
        named = ", ".join(f"{k.replace('#', '*')} ({n})" for k, n in sorted(kinds.items(), key=lambda kn: -kn[1]))
        raise InputError(f"{folder.name}: the folder holds more than one image sequence ({named}); "
                         "keep one numbered sequence per folder")
    return sorted(files, key=lambda p: natural_key(p.name))


def numbering_notes(files: list[Path]) -> list[str]:
    """What is odd in a sequence's numbers (its last number in each name): a gap (frames
    missing: the clip jumps there) or a number twice (f1.png and f01.png: their order is a
    guess). Said, not refused: a sequence rendered in parts can be meant so."""
    numbers = []
    for f in files:
        digits = re.findall(r"\d+", f.stem)
        if not digits:
            return []
        numbers.append(int(digits[-1]))
    notes = []
    seen: dict[int, str] = {}
    for f, n in zip(files, numbers, strict=True):
        if n in seen:
            notes.append(f"{seen[n]} and {f.name} have the same number: their order is a guess")
            break
        seen[n] = f.name
    ordered = sorted(set(numbers))
    gaps = [(a, b) for a, b in zip(ordered, ordered[1:], strict=False) if b > a + 1]
    if gaps:
        a, b = gaps[0]
        more = f" (and {len(gaps) - 1} more gap{'s' if len(gaps) > 2 else ''})" if len(gaps) > 1 else ""
        missing = f"{a + 1}" if b == a + 2 else f"{a + 1}..{b - 1}"
        notes.append(f"the numbered images skip {missing}{more}: the clip jumps there")
    return notes


class MediaReaderError(EngineError):
    """The media reader (the probe's child process) could not start: not the file's fault."""


def _child_command(path: Path, limit: int) -> list[str]:
    return [sys.executable, "-I", "-c", _CHILD_SOURCE, os.fspath(path), str(limit)]


def _child_env() -> dict[str, str]:
    """The parent's environment plus its import path (-I ignores PYTHONPATH), without the
    current folder: a stray av.py or json.py there must not be imported; and without a
    package's own folder (one with an __init__.py), never an import root: OpenCV's loader
    puts its folder on sys.path while `import cv2` runs, so a probe started meanwhile on
    another thread (clip A read while an overlay first imports cv2) found cv2/typing for
    `typing` and could not load PyAV."""
    try:
        cwd = os.path.realpath(os.getcwd())
    except OSError:  # the current folder was deleted
        cwd = ""
    paths = [os.path.abspath(p) for p in list(sys.path) if p]
    paths = [p for p in paths if os.path.realpath(p) != cwd
             and not os.path.isfile(os.path.join(p, "__init__.py"))]
    return {**os.environ, _PATH_VARIABLE: os.pathsep.join(paths)}


def _messages(stdout: bytes | None) -> list[dict]:
    out = []
    for line in (stdout or b"").decode("utf-8", "replace").splitlines():
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if isinstance(message, dict):
            out.append(message)
    return out


def _signal_name(code: int) -> str:
    try:
        return signal.Signals(-code).name
    except ValueError:
        return f"signal {-code}"


def _last_line(stderr: bytes | None) -> str:
    lines = [ln.strip() for ln in (stderr or b"").decode("utf-8", "replace").splitlines()]
    lines = [ln for ln in lines if ln]
    return lines[-1] if lines else "no message"


def run_child_probe(path: Path, limit: int = 0) -> dict:
    """Open the file in a child process; any failure becomes one error line.

    Raises MediaReaderError when the child cannot start or load PyAV (every file would fail
    the same way), InputError when the file crashed it, hung it or FFmpeg rejects it.
    """
    try:
        done = subprocess.run(_child_command(path, limit), capture_output=True,
                              timeout=PROBE_TIMEOUT, check=False, env=_child_env())
    except subprocess.TimeoutExpired as exc:
        if not any("ready" in m for m in _messages(exc.stdout)):
            raise MediaReaderError(f"cannot start the media reader: it did not load PyAV "
                                   f"within {PROBE_TIMEOUT:.0f} s") from exc
        raise InputError(
            f"{path.name}: opening the file took over {PROBE_TIMEOUT:.0f} s; it may be damaged"
        ) from exc
    except OSError as exc:  # no interpreter, no processes or memory left
        raise MediaReaderError(f"cannot start the media reader: {exc}") from exc
    messages = _messages(done.stdout)
    ready = any("ready" in m for m in messages)
    reports = [m for m in messages if "ready" not in m]
    if reports and reports[-1].get("error") == "start":
        raise MediaReaderError(f"cannot start the media reader: {reports[-1].get('detail')}")
    if not reports:
        code = done.returncode
        # A signal (negative code), or 128 + signal / a Windows exception code from a wrapper.
        crashed = code < 0 or code >= 128
        how = _signal_name(code) if code < 0 else f"exit code {code}"
        if not ready:
            why = f"it crashed ({how})" if crashed else _last_line(done.stderr)
            raise MediaReaderError(f"cannot start the media reader: {why}")
        raise InputError(f"{path.name}: the file is damaged or truncated (it crashed the media "
                         f"reader: {how})")
    report = reports[-1]
    error = report.get("error")
    if error in ("open", "nocodec", "decode") and (huge := _too_large(path)):
        raise huge
    if error == "open":
        if path.stat().st_size == 0:
            raise InputError(f"{path.name}: the file is empty")
        try:
            with open(path, "rb"):
                pass
        except PermissionError:  # not a damaged file: one this user may not read
            raise InputError(f"{path.name}: permission denied (cannot read the file)") from None
        except OSError:
            pass
        if _looks_like_media(path):
            raise unreadable(path)
        if path.suffix.lower() == ".vgpnn":
            raise InputError(f"{path.name}: is an editor project, not a video; open it in the "
                             f"editor (python main.py {path.name})")
        raise InputError(f"{path.name}: not a video or image file (FFmpeg cannot read it)")
    if error in ("nostream", "noframes") and _boxes_cut_short(path):
        raise damaged(path)
    if error == "noframes" and report.get("indexed"):
        raise damaged(path)  # the index lists frames that are not there
    if error == "nostream" and not report.get("has_audio") and _iso_tracks(path):
        # Tracks are listed, none of them a video or audio one: a broken track header, or
        # (rarely) a file of subtitles or data only.
        raise InputError(f"{path.name}: has no video stream that can be read; the file may be "
                         "damaged")
    if error == "nostream":
        what = "it holds only audio" if report.get("has_audio") else "nothing to show"
        raise InputError(f"{path.name}: has no video stream ({what})")
    if error == "noframes":
        raise InputError(f"{path.name}: has no frames")
    if error == "internal":
        raise InputError(f"{path.name}: the media reader cannot read this file "
                         f"({report.get('detail')})")
    if error:
        if not _looks_like_media(path):  # a text file named .png: no media file at all
            raise InputError(f"{path.name}: not a video or image file (FFmpeg cannot read it)")
        raise unreadable(path)
    if report.get("format") == "tty":  # FFmpeg draws any text file as frames of text
        raise InputError(f"{path.name}: is a text file, not a video or image")
    return report


def _info_from_report(path: Path, report: dict, limit: int) -> VideoInfo:
    # By content, not by name: an mp4 named .png is a video, a PNG named .mp4 an image.
    is_image = report["format"].endswith("_pipe") or report["format"] == "image2"
    rotation, mirrored = turn_of(orientation(report.get("display"), report.get("rotation")))
    width, height = int(report["width"]), int(report["height"])
    sar = Fraction(*report["sar"]) if report.get("sar") and not is_image else Fraction(1)
    if sar != 1 and Fraction(1, 4) <= sar <= 4:
        # Non-square pixels (anamorphic video, DV): read as square pixels of the shape it
        # is shown at, its height kept. Beyond 1:4 to 4:1 the tag is taken for garbage;
        # images (a JPEG's density) are read as stored.
        width = max(1, round(width * sar))
    else:
        sar = Fraction(1)
    if rotation in (90, 270):
        width, height = height, width
    if is_image:
        return VideoInfo(path, width, height, 1, DEFAULT_IMAGE_FPS, 1 / float(DEFAULT_IMAGE_FPS),
                         False, report["codec"], rotation, "image", True,
                         alpha=bool(report.get("alpha")), mirrored=mirrored)
    fps = Fraction(*report["fps"]) if report.get("fps") else Fraction(0)
    indexed, packets = int(report.get("frames") or 0), int(report["packets"])
    limited = bool(report.get("limited"))
    # The container's own index (mp4/mov) against what is really there: fewer packets than
    # indexed means the file was cut short. Not for AVI, whose index counts the empty
    # chunks of dropped frames, which carry no packet.
    if report["format"].startswith("mov,mp4") and indexed \
            and packets < (min(indexed, limit) if limit else indexed):
        raise damaged(path)
    if indexed and not limited and packets < indexed:
        indexed = packets  # the frames really there (an AVI's dropped frames left out)
    duration = report.get("duration")
    if indexed:
        frames, exact = indexed, True
    elif not limited:
        frames, exact = packets, True
    else:
        frames = round(duration * float(fps)) if duration and fps else packets
        exact = False
    if not duration:
        duration = frames / float(fps) if fps else 0.0
    return VideoInfo(path, width, height, frames, fps, float(duration), bool(report["has_audio"]),
                     report["codec"], rotation, "video", exact,
                     variable_rate=bool(report.get("variable_rate")), alpha=bool(report.get("alpha")),
                     pixel_aspect=sar, mirrored=mirrored)


_REPORTS: dict[tuple[str, int, int, int, int], dict] = {}  # see _report
_REPORTS_KEPT = 32


def _report(path: Path, limit: int) -> dict:
    """The child probe's report on `path`, remembered while the file keeps its size and
    modification time: a command checks sizes from the probe, then reads the clip, and
    starting a child process to open the same file again costs 0.2-0.3 s of start-up.
    Failures are not remembered (they raise)."""
    st = path.stat()
    key = (os.path.realpath(path), st.st_size, st.st_mtime_ns, st.st_ino, limit)
    if key not in _REPORTS:
        report = run_child_probe(path, limit)
        if len(_REPORTS) >= _REPORTS_KEPT:
            _REPORTS.pop(next(iter(_REPORTS)))
        _REPORTS[key] = report
    return _REPORTS[key]


def probe(path: str | os.PathLike[str], *, limit: int = 0) -> VideoInfo:
    """Cheap metadata of a video file, single image or image folder.

    limit: stop counting packets after this many (0 = count all); the frame count of a
    long file is then an estimate. Raises InputError for anything that cannot be read.
    """
    path = Path(path).expanduser()
    check_reachable(path)
    if not path.exists():
        raise InputError(f"{path.name or path}: file not found")
    if path.is_dir():
        files = list_images(path)
        first = _info_from_report(files[0], _report(files[0], 0), 0)
        n = len(files)
        return VideoInfo(path, first.width, first.height, n, DEFAULT_IMAGE_FPS,
                         n / float(DEFAULT_IMAGE_FPS), False, first.codec, first.rotation,
                         "images", True, alpha=first.alpha, mirrored=first.mirrored)
    if not path.is_file():  # a pipe or a device: FFmpeg would wait on it, or read forever
        raise InputError(f"{path.name}: not a regular file (a pipe or a device); give a video "
                         "file, an image or a folder of images")
    return _info_from_report(path, _report(path, limit), limit)
