"""Runs in a throw-away child process: opens one media file and reports it as JSON.

Some damaged files crash FFmpeg natively (PyAV issue 2344), which no try/except can catch,
so the editor never touches an untrusted file before this script survived it.
Usage: python -I -c "<this file>" PATH [PACKET_LIMIT]. Imports only av and the stdlib.

-I keeps the child away from the current folder and PYTHON* variables; the parent's import
path comes in VGPNN_PROBE_PATH instead, so PyAV installed with `pip install --target`, on
PYTHONPATH or in the user's site-packages is found as it is in the parent.

Output, one JSON object per line: {"ready": VERSION} once PyAV has loaded (a crash after it
is the file's doing), then the report; {"error": "start", ...} when PyAV cannot load.
"""

import json
import os
import sys
from fractions import Fraction

PATH_VARIABLE = "VGPNN_PROBE_PATH"
# Frames larger than this are not decoded here (a decompression bomb: a small PNG can declare
# a frame of gigabytes); the parent refuses them by their size anyway.
MAX_DECODE_PIXELS = 100_000_000


def _say(message: dict) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def _use_parent_path() -> None:
    parent = [p for p in os.environ.get(PATH_VARIABLE, "").split(os.pathsep) if p]
    if parent:
        sys.path[:] = parent + [p for p in sys.path if p not in parent]


# Packets come in decode order: B-frames put a frame's packet up to this many packets
# after those of later frames.
REORDER = 16


def _variable_rate(stamps: list[int], cut: bool) -> bool:
    """Frames not evenly spaced in time (phones record so); B-frames reorder, so sort.
    `cut`: the packets were not all read, so the latest few frames may be missing from the
    stamps (their packets come later); those are left out rather than read as a gap."""
    stamps = sorted(stamps)
    if cut:
        stamps = stamps[:-REORDER] if len(stamps) > 2 * REORDER else []
    steps = [b - a for a, b in zip(stamps, stamps[1:], strict=False) if b > a]
    return len(steps) >= 2 and max(steps) > 1.5 * min(steps) + 1  # +1: rounded time stamps


def _mean_rate(packets: int, duration: float | None, stamps: list[int], time_base,  # noqa: ANN001
               limited: bool) -> Fraction | None:
    """Frames per second over the whole clip (its frames over its duration), or over the
    stamps read where not every packet was (a long clip)."""
    if not limited and duration and duration > 0 and packets >= 2:
        return Fraction(packets / duration).limit_denominator(1001)
    ordered = sorted(stamps)
    if len(ordered) >= 2 and ordered[-1] > ordered[0] and time_base:
        return (Fraction(len(ordered) - 1) / ((ordered[-1] - ordered[0]) * Fraction(time_base))).limit_denominator(1001)
    return None


def _open(av, path: str):  # noqa: ANN001, ANN202 (the module is run alone: no engine imports)
    """engine.io.container.open_input, repeated here for the same reason."""
    try:
        return av.open(path, metadata_errors="ignore")
    except TypeError:  # PyAV 19 dropped the option
        return av.open(path)


def _tag_seconds(text):  # noqa: ANN001, ANN202
    """Seconds of a Matroska DURATION tag ("00:00:04.000000000"), or None."""
    try:
        hours, minutes, seconds = str(text).strip().split(":")
        value = int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    except (TypeError, ValueError):
        return None
    return value if value > 0 else None


def _has_alpha(pix_fmt: str) -> bool:
    return pix_fmt.startswith(("yuva", "ya8", "ya16", "gbrap", "argb", "rgba", "abgr", "bgra"))


def _report(path: str, limit: int) -> dict:
    import av

    try:
        container = _open(av, path)
    except av.FFmpegError as exc:
        return {"error": "open", "detail": str(exc)}
    with container:
        attached = av.stream.Disposition.attached_pic
        videos = [s for s in container.streams.video if not (s.disposition & attached)]
        has_audio = bool(container.streams.audio)
        if not videos:
            return {"error": "nostream", "has_audio": has_audio, "streams": len(container.streams)}
        stream = videos[0]
        ctx = stream.codec_context
        if ctx is None or not stream.width or not stream.height:
            # Decoding without a codec context is the native crash itself.
            return {"error": "nocodec"}
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate
        duration = None
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        else:  # Matroska/WebM: the stream's DURATION tag, else the container's (the longest
            # stream's: sound longer than the picture made a count of frames never there)
            duration = _tag_seconds(stream.metadata.get("DURATION") or stream.metadata.get("duration"))
            if duration is None and container.duration is not None:
                duration = container.duration / 1e6
        sar = getattr(stream, "sample_aspect_ratio", None) or getattr(ctx, "sample_aspect_ratio", None)
        info = {
            "format": container.format.name,
            "codec": ctx.name,
            "width": stream.width,
            "height": stream.height,
            "sar": [sar.numerator, sar.denominator] if sar and sar > 0 else None,
            "fps": [rate.numerator, rate.denominator] if rate else None,
            "frames": stream.frames,
            "duration": duration,
            "has_audio": has_audio,
        }
        # Count packets (no decoding) so a file cut short shows up against its own index.
        packets, stamps, delays = 0, [], []
        try:
            for packet in container.demux(stream):
                if packet.size:
                    packets += 1
                    if packet.pts is not None and len(stamps) < 1000:
                        stamps.append(packet.pts)
                    delays.append(packet.duration or 0)
                    if limit and packets >= limit:
                        break
        except av.FFmpegError as exc:
            return {"error": "decode", "detail": str(exc)}
        if container.format.name == "gif" and delays and min(delays) > 0 and stream.time_base:
            # A GIF's average rate leaves out its last frame's delay (a 30 fps GIF of 12
            # frames read as 33.3 fps); its frames' own delays give the rate it plays at.
            rate = Fraction(len(delays)) / (sum(delays) * Fraction(stream.time_base))
            info["fps"] = [rate.numerator, rate.denominator]
        info["packets"] = packets
        info["limited"] = bool(limit and packets >= limit)
        info["variable_rate"] = _variable_rate(stamps, info["limited"] or len(stamps) >= 1000)
        if info["variable_rate"]:
            # Its frames are played evenly spaced: at their mean rate, so the output lasts
            # as long as the clip. A Matroska or WebM stream's nominal rate is no such mean
            # (20 frames over 1.26 s said 30 fps).
            mean = _mean_rate(packets, duration, stamps, stream.time_base, info["limited"])
            if mean is not None:
                info["fps"] = [mean.numerator, mean.denominator]
        info["alpha"] = _has_alpha(getattr(ctx, "pix_fmt", None) or "")
    if packets and stream.width * stream.height > MAX_DECODE_PIXELS:
        info["rotation"] = None
        return info
    with _open(av, path) as container:
        stream = [s for s in container.streams.video if not (s.disposition & attached)][0]
        stream.thread_type = "SLICE"
        stream.codec_context.thread_count = 1
        rotation = None
        try:
            for frame in container.decode(stream):
                rotation = frame.rotation
                info["display"] = display_values(av, frame)
                if stream.codec_context.name == "gif":
                    # FFmpeg decodes every GIF to bgra: only a transparent pixel says alpha.
                    info["alpha"] = bool((frame.to_ndarray(format="rgba")[..., 3] < 255).any())
                break
        except av.FFmpegError as exc:
            return {"error": "decode", "detail": str(exc)}
        if rotation is None:
            return {"error": "noframes", "indexed": info["frames"]}
    info["rotation"] = rotation
    return info


def display_values(av, frame):
    """a, b, c, d of the frame's display matrix (16.16 fixed point), or None."""
    kind = av.sidedata.sidedata.Type.DISPLAYMATRIX
    try:
        if kind not in frame.side_data:
            return None
        raw = bytes(frame.side_data[kind])
    except (TypeError, ValueError, KeyError):
        return None
    if len(raw) < 36:
        return None
    values = [int.from_bytes(raw[i:i + 4], sys.byteorder, signed=True) for i in range(0, 20, 4)]
    return [values[0], values[1], values[3], values[4]]


def main() -> None:
    _use_parent_path()
    try:
        import av
    except Exception as exc:  # ImportError, or an OSError from a missing FFmpeg library
        _say({"error": "start", "detail": f"cannot load PyAV ({type(exc).__name__}: {exc})"})
        return
    _say({"ready": av.__version__})
    limit = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    try:
        report = _report(sys.argv[1], limit)
    except Exception as exc:  # a PyAV error that is not an FFmpegError: still the file's
        report = {"error": "internal", "detail": f"{type(exc).__name__}: {exc}"}
    _say(report)


if __name__ == "__main__":
    main()
