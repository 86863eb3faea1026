"""Carrying the source's sound over to an output video: packet copy, or AAC re-encode."""

from __future__ import annotations

import io
from fractions import Fraction
from pathlib import Path

import av

from engine.io.container import open_input

_ATTACHED_PIC = av.stream.Disposition.attached_pic


def audio_stream_info(path: Path) -> tuple[bool, float | None]:
    """(has an audio stream, duration in seconds of its video stream or None)."""
    try:
        with open_input(path) as c:
            videos = [s for s in c.streams.video if not (s.disposition & _ATTACHED_PIC)]
            duration = None
            if videos:
                v = videos[0]
                rate = v.average_rate or v.guessed_rate
                if v.frames and rate:
                    duration = v.frames / float(rate)
                elif v.duration is not None and v.time_base is not None:
                    duration = float(v.duration * v.time_base)
                elif c.duration is not None:  # mkv/webm: only the container knows
                    duration = c.duration / 1e6
            return bool(c.streams.audio), duration
    except (av.FFmpegError, OSError):
        return False, None


def aac_rate(rate: int) -> int:
    """`rate` where the AAC encoder takes it, else the nearest rate it takes (at most 96 kHz)."""
    rates = av.codec.Codec("aac", "w").audio_rates or (48000,)
    return rate if rate in rates else min(rates, key=lambda r: (abs(r - rate), -r))


_NAMED_LAYOUTS = {1: "mono", 2: "stereo", 3: "2.1", 4: "quad", 6: "5.1", 8: "7.1"}


def _aac_layout(layout: av.AudioLayout) -> str:
    """A named channel layout: the AAC encoder refuses unordered ones like "1 channels"."""
    if "channels" not in layout.name:
        return layout.name
    return _NAMED_LAYOUTS.get(layout.nb_channels, "stereo")


# What the mp4 muxer takes reliably. It writes the header of others (PCM with an unordered
# layout, as AVI, MKV and WAV report it) and then fails at the trailer, after all the work.
_MP4_COPY = frozenset({"aac", "mp3", "alac", "opus", "flac", "ac3", "eac3"})


def _can_copy(stream: av.audio.stream.AudioStream, fmt: str) -> bool:
    """Whether this container format takes the stream's packets as they are."""
    if fmt.split(",")[0] in ("mp4", "ipod") and stream.codec_context.name not in _MP4_COPY:
        return False
    try:
        with av.open(io.BytesIO(), "w", format=fmt) as out:
            out.add_stream_from_template(stream)
            out.start_encoding()  # writes the header: refuses unsupported codecs here
        return True
    except (av.FFmpegError, ValueError, NotImplementedError):
        return False


def _first_frame_time(container: av.container.InputContainer) -> float:
    """When the first frame that decodes is shown, in seconds: the reader's frame 0. A
    recording cut mid-GOP starts with frames that cannot be decoded, and the video stream's
    start time lies before them; the sound must count from the first frame shown."""
    videos = [s for s in container.streams.video if not (s.disposition & _ATTACHED_PIC)]
    if not videos:
        return 0.0
    v = videos[0]
    start = float(v.start_time * v.time_base) if v.start_time is not None else 0.0
    if v.codec_context is None:
        return start
    v.thread_type = "SLICE"
    try:
        for frame in container.decode(v):
            if frame.pts is not None and frame.time_base is not None:
                return float(frame.pts * frame.time_base)
            break
    except av.FFmpegError:
        pass
    return start


class AudioCarrier:
    """Adds an audio stream to an output and fills it with [start, start + duration) s."""

    def __init__(self, source: Path, out: av.container.OutputContainer, start: float,
                 duration: float) -> None:
        self._in = open_input(source)
        self._src = self._in.streams.audio[0]
        # audio_start counts from the first video frame, so sync survives stream offsets.
        with open_input(source) as probe:
            zero = _first_frame_time(probe)
        self._t0, self._t1 = zero + start, zero + start + duration
        self._copy = _can_copy(self._src, out.format.name)
        if self._copy:
            self._dst = out.add_stream_from_template(self._src)
        else:
            ctx = self._src.codec_context
            layout = _aac_layout(ctx.layout)
            rate = aac_rate(ctx.sample_rate)
            self._dst = out.add_stream("aac", rate=rate, layout=layout)
            self._resampler = av.AudioResampler(format="fltp", layout=layout,
                                                rate=ctx.sample_rate)
            # Cut at the source's rate (sample-exact), then brought to AAC's where it has
            # no such rate (192 kHz recordings: the encoder refused to open).
            self._rerate = None if rate == ctx.sample_rate else \
                av.AudioResampler(format="fltp", layout=layout, rate=rate)
        self._out = out

    def close(self) -> None:
        self._in.close()

    def write(self) -> None:
        """Mux all audio of the range (call after the video frames)."""
        try:
            if self._copy:
                self._write_copy()
            else:
                self._write_encoded()
        finally:
            self.close()

    def _write_copy(self) -> None:
        """Whole packets that start inside the range, each at its own time from the range's
        start (a packet straddling the start is left out: a short silence, not a shift)."""
        tb = self._src.time_base
        offset = round(self._t0 / tb)
        for packet in self._in.demux(self._src):
            if packet.pts is None or packet.size == 0:
                continue
            t = float(packet.pts * tb)
            if t < self._t0 - 1e-6 or t >= self._t1:
                continue
            packet.pts -= offset
            if packet.dts is not None:
                packet.dts -= offset
            packet.stream = self._dst
            self._out.mux(packet)

    def _write_encoded(self) -> None:
        """The samples of [t0, t1) exactly, re-encoded to AAC."""
        rate = self._src.codec_context.sample_rate
        layout = self._dst.codec_context.layout.name
        first, last = round(self._t0 * rate), round(self._t1 * rate)  # in samples
        pts = 0
        for frame in self._in.decode(self._src):
            if frame.pts is None:
                continue
            at = round(float(frame.pts * frame.time_base) * rate)
            if at + frame.samples <= first or at >= last:
                continue
            frame.pts = None  # the resampler and encoder restamp from sample counts
            for chunk in self._resampler.resample(frame):  # the same rate: samples align
                planes = chunk.to_ndarray()  # (channels, n) float32, planar
                lo, hi = max(0, first - at), min(planes.shape[1], last - at)
                at += planes.shape[1]
                if hi <= lo:
                    continue
                if (lo, hi) != (0, planes.shape[1]):
                    chunk = av.AudioFrame.from_ndarray(
                        planes[:, lo:hi].copy(), format="fltp", layout=layout)
                    chunk.sample_rate = rate
                pts = self._encode(chunk, pts)
        if self._rerate is not None:
            for chunk in self._rerate.resample(None):  # what the resampler still holds
                pts = self._stamp_and_encode(chunk, pts)
        self._out.mux(self._dst.encode(None))

    def _encode(self, chunk: av.AudioFrame, pts: int) -> int:
        """Encode one trimmed chunk at the source's rate (through the rate change, if any);
        the next pts."""
        if self._rerate is None:
            return self._stamp_and_encode(chunk, pts)
        chunk.pts = None
        for out in self._rerate.resample(chunk):
            pts = self._stamp_and_encode(out, pts)
        return pts

    def _stamp_and_encode(self, chunk: av.AudioFrame, pts: int) -> int:
        rate = self._dst.codec_context.sample_rate
        chunk.pts, chunk.time_base = pts, Fraction(1, rate)
        self._out.mux(self._dst.encode(chunk))
        return pts + chunk.samples
