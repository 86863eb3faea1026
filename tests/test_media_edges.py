"""Media files of the kinds cameras, recorders and other tools write that broke reading or
writing: PCM sound into MP4, sound that must stay in sync after a range start or a cut
recording, fast GIFs, '%' in folder names, AVI dropped frames, text files, GIF alpha."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from engine.errors import InputError
from engine.io import probe, read_video, write_video

RATE = 48000


def _frames(t: int, h: int = 48, w: int = 64, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 255, (t, h, w, 3), np.uint8)


def _beep(seconds: float, at: float, rate: int = RATE) -> np.ndarray:
    """(1, n) float32 silence with a 0.1 s tone starting at `at` s."""
    t = np.arange(int(seconds * rate)) / rate
    return np.where((t >= at) & (t < at + 0.1), 0.5 * np.sin(2 * np.pi * 1000 * t), 0
                    ).astype(np.float32)[None]


def _mux_audio(out, stream, wave: np.ndarray, block: int = 1024, rate: int = RATE) -> None:
    fmt = stream.codec_context.format.name
    for pos in range(0, wave.shape[1], block):
        chunk = wave[:, pos:pos + block]
        if fmt == "s16":
            frame = av.AudioFrame.from_ndarray((chunk.T.reshape(1, -1) * 32767).astype(np.int16),
                                               format="s16", layout=stream.layout.name)
        else:
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(chunk), format="fltp",
                                               layout=stream.layout.name)
        frame.sample_rate, frame.pts, frame.time_base = rate, pos, Fraction(1, rate)
        out.mux(stream.encode(frame))
    out.mux(stream.encode(None))


def _make(path: Path, frames: np.ndarray, fps: int, acodec: str | None, wave=None, *,
          vcodec: str = "libx264", layout: str = "mono", fmt: str | None = None,
          options: dict | None = None, block: int = 1024, rate: int = RATE) -> Path:
    with av.open(str(path), "w", format=fmt) as out:
        v = out.add_stream(vcodec, rate=fps)
        v.width, v.height, v.pix_fmt = frames.shape[2], frames.shape[1], "yuv420p"
        v.options = options or {}
        a = out.add_stream(acodec, rate=rate, layout=layout) if acodec else None
        for i, rgb in enumerate(frames):
            f = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            f.pts = i
            out.mux(v.encode(f))
        out.mux(v.encode(None))
        if a is not None:
            if wave.shape[0] != a.layout.nb_channels:
                wave = np.repeat(wave[:1], a.layout.nb_channels, 0)
            _mux_audio(out, a, wave, block, rate)
    return path


def _beep_time(path: Path) -> float:
    """When the tone starts in `path`'s sound, from its first video frame (s)."""
    with av.open(str(path)) as c:
        v = c.streams.video[0]
        zero = float(v.start_time * v.time_base)
        chunks, first = [], None
        for frame in c.decode(audio=0):
            if first is None:
                first = float(frame.pts * frame.time_base)
            x = frame.to_ndarray().astype(np.float64)
            if frame.format.is_packed:
                x = x.reshape(-1, frame.layout.nb_channels).T
            chunks.append(x[0])
        x = np.concatenate(chunks)
        loud = np.nonzero(np.abs(x) > 0.1 * np.abs(x).max())[0]
        return first + loud[0] / c.streams.audio[0].sample_rate - zero


def test_stereo_pcm_sound_goes_into_mp4_as_aac(tmp_path):
    """AVI, MKV and WAV report PCM as "2 channels": the mp4 muxer wrote its header and
    failed at the trailer, after all the work."""
    src = _make(tmp_path / "cam.avi", _frames(24), 24, "pcm_s16le", _beep(1.0, 0.5),
                vcodec="mpeg4", layout="stereo")
    out = write_video(read_video(src).frames, tmp_path / "cam.mp4", fps=Fraction(24),
                      audio_from=src)
    with av.open(str(out)) as c:
        assert c.streams.audio[0].codec_context.name == "aac"
        assert c.streams.audio[0].codec_context.channels == 2
    assert abs(_beep_time(out) - 0.5) < 0.01


@pytest.mark.parametrize("case", ["copy", "encode"])
def test_sound_from_a_range_start_stays_in_sync(tmp_path, case):
    """From --start (an in point) 0.25 s in, a tone at 1.0 s plays at 0.75 s: packets are
    placed at their own time (copy), samples cut at the range (re-encode)."""
    if case == "copy":  # PCM in half-second packets, copied into mkv
        src = _make(tmp_path / "src.mkv", _frames(48), 24, "pcm_s16le", _beep(2.0, 1.0),
                    block=RATE // 2)
        target = tmp_path / "out.mkv"
    else:  # the same sound, in third-of-a-second frames, re-encoded to AAC for mp4
        src = _make(tmp_path / "src.mkv", _frames(48), 24, "pcm_s16le", _beep(2.0, 1.0),
                    block=RATE // 3)
        target = tmp_path / "out.mp4"
    clip = read_video(src, start=6)
    out = write_video(clip.frames, target, fps=clip.fps, audio_from=src, audio_start=0.25,
                      source_duration=clip.duration)
    assert abs(_beep_time(out) - 0.75) < 0.03
    if case == "encode":
        with av.open(str(out)) as c:
            samples = sum(f.samples for f in c.decode(audio=0))
        assert abs(samples / RATE - clip.duration) < 0.05  # no whole frames past the range


def test_sound_at_192_khz_goes_into_mp4_at_a_rate_aac_has(tmp_path):
    """A recorder's 192 kHz PCM: the AAC encoder (96 kHz at most) refused to open, after
    the whole run. The range is cut at the source's rate and then brought to 96 kHz."""
    rate = 192_000
    src = _make(tmp_path / "rec.mkv", _frames(48), 24, "pcm_s16le", _beep(2.0, 1.0, rate),
                rate=rate)
    clip = read_video(src, start=6)
    out = write_video(clip.frames, tmp_path / "rec.mp4", fps=clip.fps, audio_from=src,
                      audio_start=0.25, source_duration=clip.duration)
    with av.open(str(out)) as c:
        assert c.streams.audio[0].codec_context.name == "aac"
        assert c.streams.audio[0].sample_rate == 96_000
        samples = sum(f.samples for f in c.decode(audio=0))
    assert abs(samples / 96_000 - clip.duration) < 0.05
    assert abs(_beep_time(out) - 0.75) < 0.03


def test_sound_counts_from_the_first_frame_that_decodes(tmp_path):
    """A transport stream cut mid-GOP starts with frames that cannot be decoded; the
    reader's first frame is later than the stream's start, and the sound must follow it."""
    full = _make(tmp_path / "full.ts", _frames(72, 72, 96, seed=3), 24, "aac",
                 _beep(3.0, 2.0), fmt="mpegts",
                 options={"preset": "ultrafast", "g": "12", "keyint_min": "12",
                          "sc_threshold": "0"})
    with av.open(str(full)) as c:
        v = c.streams.video[0]
        tone = float(v.start_time * v.time_base) + 2.0  # on the stream's clock
    data = full.read_bytes()
    cut = tmp_path / "cut.ts"
    cut.write_bytes(data[(len(data) * 36 // 100) // 188 * 188:])
    with av.open(str(cut)) as c:
        v = c.streams.video[0]
        first = next(c.decode(v))
        shown = float(first.pts * first.time_base)
        assert shown - float(v.start_time * v.time_base) > 0.1  # frames lost to the cut
    clip = read_video(cut)
    out = write_video(clip.frames, tmp_path / "out.mp4", fps=clip.fps, audio_from=cut,
                      source_duration=clip.duration)
    assert abs(_beep_time(out) - (tone - shown)) < 0.03


def test_a_gif_over_50_fps_keeps_every_kth_frame(tmp_path):
    warnings: list[str] = []
    out = write_video(_frames(24), tmp_path / "fast.gif", fps=Fraction(120),
                      warn=warnings.append)
    assert warnings == ["a GIF plays at most 50 fps: every 3rd frame kept, at 40 fps"]
    assert len(read_video(out).frames) == 8


def test_png_frames_into_a_folder_named_with_percent(tmp_path):
    folder = tmp_path / "50% off"
    folder.mkdir()
    out = write_video(_frames(3), folder / "frames", fps=Fraction(24))
    assert sorted(p.name for p in out.glob("*.png")) == [f"frame_0000{i}.png" for i in (1, 2, 3)]


def test_an_avi_with_a_dropped_frame_reads(tmp_path):
    """The AVI muxer fills a gap in the timestamps with an empty chunk that its index
    counts; the file plays, and is not called damaged."""
    path = tmp_path / "drop.avi"
    with av.open(str(path), "w") as out:
        s = out.add_stream("mpeg4", rate=24)
        s.width, s.height, s.pix_fmt = 96, 72, "yuv420p"
        for i, pts in enumerate([0, 1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12]):
            f = av.VideoFrame.from_ndarray(np.full((72, 96, 3), 20 * i, np.uint8),
                                           format="rgb24")
            f.pts, f.time_base = pts, Fraction(1, 24)
            out.mux(s.encode(f))
        out.mux(s.encode(None))
    assert probe(path).frames == 12
    assert read_video(path).frames.shape == (12, 72, 96, 3)


def test_a_text_file_is_not_a_video(tmp_path):
    """FFmpeg's tty demuxer draws any .txt or .nfo as frames of text."""
    path = tmp_path / "notes.txt"
    path.write_text("shopping list\n" * 40)
    with pytest.raises(InputError, match="is a text file, not a video or image"):
        read_video(path)


@pytest.mark.parametrize("fps", [15, 24, 30])
def test_a_gif_opens_at_the_rate_it_was_written(tmp_path, fps):
    """A GIF's rate comes from its frames' delays: the container's average leaves out the
    last one, and a 30 fps GIF of 12 frames opened at 33.3 fps (played 11% fast)."""
    out = write_video(_frames(12), tmp_path / f"clip{fps}.gif", fps=Fraction(fps))
    assert probe(out).fps == fps and read_video(out).fps == fps


def test_a_gif_without_transparency_has_no_alpha_note(tmp_path):
    out = write_video(_frames(4), tmp_path / "plain.gif", fps=Fraction(10))
    assert not probe(out).alpha
    assert not any("alpha" in note for note in read_video(out).notes)


@pytest.mark.parametrize("end", [2, 6, 10, 13])
def test_a_short_range_of_an_even_clip_is_not_called_variable_rate(end):
    """Probing stops after the range's packets, which come in decode order: the frames
    whose packets come later had read as a gap in the time stamps."""
    from engine.io import SAMPLE_CLIP

    notes = read_video(SAMPLE_CLIP, end=end).notes
    assert not any("variable frame rate" in note for note in notes)


def test_a_matroska_range_counts_frames_by_the_pictures_length_not_the_sounds(tmp_path):
    """40 frames (4 s) with 10 s of sound: read to --end, the count estimated from the
    container's length (the sound's) said 100 frames, and a mask for the whole clip (40
    frames) was refused as "not 100"."""
    from engine.io.masks import load_mask

    src = _make(tmp_path / "long_sound.mkv", _frames(40, 32, 48), 10, "pcm_s16le", _beep(10.0, 1.0))
    clip = read_video(src, end=10)
    assert "frames 0..9 of 40" in clip.notes
    mask = np.zeros((40, 32, 48, 3), np.uint8)
    mask[:, 8:16, 8:16] = 255
    path = write_video(mask, tmp_path / "mask.mkv", fps=Fraction(10), crf=0)
    assert load_mask(path, clip.frames.shape[:3], source_frames=clip.source_frames).shape == (10, 32, 48)


def test_a_truncated_jpeg_is_called_damaged_and_a_motion_photo_is_not(tmp_path):
    """FFmpeg decodes a JPEG cut short without an error (its lost part grey): a folder with
    one frame copied short was used garbled, unsaid. Data after the image's end (a motion
    photo's video, padding) is no damage."""
    import cv2

    folder = tmp_path / "shots"
    folder.mkdir()
    for i, rgb in enumerate(_frames(4, 48, 64, seed=5)):
        ok, jpeg = cv2.imencode(".jpg", rgb[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 95])
        data = jpeg.tobytes()
        (folder / f"img{i:02d}.jpg").write_bytes(data[: len(data) // 2] if i == 2 else data)
    with pytest.raises(InputError, match="img02.jpg: the file is damaged or truncated"):
        read_video(folder)
    with pytest.raises(InputError, match="damaged or truncated"):
        read_video(folder / "img02.jpg")
    whole = (folder / "img01.jpg").read_bytes()
    motion = tmp_path / "motion.jpg"
    motion.write_bytes(whole + b"\x00\x00\x00\x18ftypmp42" + bytes(64))
    assert read_video(motion).frames.shape == (1, 48, 64, 3)
    ok, progressive = cv2.imencode(".jpg", _frames(1, 48, 64)[0], [cv2.IMWRITE_JPEG_PROGRESSIVE, 1])
    cut = tmp_path / "progressive.jpg"
    cut.write_bytes(progressive.tobytes()[: len(progressive) * 9 // 10])
    with pytest.raises(InputError, match="damaged or truncated"):
        read_video(cut)
