"""engine.io: reading, probing and writing clips, on small synthetic files made here."""

from __future__ import annotations

import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from engine.errors import Cancelled, InputError
from engine.io import (
    SAMPLE_CLIP,
    VideoClip,
    check_target,
    max_side_hint,
    output_kind,
    probe,
    read_video,
    rotate_frame,
    scaled_size,
    unique_output_paths,
    write_video,
)
from engine.io.writer import FRAMES_MARK


def gradient(t: int = 10, h: int = 48, w: int = 64) -> np.ndarray:
    """A smooth gradient that moves a little each frame (codec-friendly, frame-distinct)."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    frames = [
        np.stack([xx * 200 / w + 4 * i, yy * 200 / h, np.full_like(xx, 20 + 15 * i)], -1)
        for i in range(t)
    ]
    return np.clip(np.stack(frames), 0, 255).astype(np.uint8)


def mad(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


def make_file(path: Path, frames: np.ndarray | None, fps: int | Fraction = 24, *,
              audio: str | None = None, audio_seconds: float | None = None,
              rotation: int | None = None) -> Path:
    """Encode a file with PyAV directly: optional sine-wave audio and rotation metadata."""
    with av.open(str(path), "w") as out:
        video = None
        if frames is not None:
            video = out.add_stream("libx264", rate=fps)
            video.width, video.height = frames.shape[2], frames.shape[1]
            video.pix_fmt = "yuv420p"
            video.options = {"preset": "ultrafast", "crf": "12"}
            if rotation is not None:
                video.set_display_rotation(rotation)
        sound = out.add_stream(audio, rate=44100, layout="mono") if audio else None
        if video is not None:
            for rgb in frames:
                out.mux(video.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")))
            out.mux(video.encode(None))
        if sound is not None:
            seconds = audio_seconds or (len(frames) / float(fps))
            n = int(44100 * seconds)
            wave = (0.3 * np.sin(2 * np.pi * 440 * np.arange(n) / 44100)).astype(np.float32)
            frame = av.AudioFrame.from_ndarray(wave[None], format="fltp", layout="mono")
            frame.sample_rate, frame.pts = 44100, 0
            out.mux(sound.encode(frame))
            out.mux(sound.encode(None))
    return path


def stream_types(path: Path) -> list[str]:
    with av.open(str(path)) as c:
        return [s.type for s in c.streams]


# --- round trips -----------------------------------------------------------------------


@pytest.mark.parametrize("fps", [Fraction(30000, 1001), Fraction(24)])
def test_mp4_round_trip(tmp_path: Path, fps: Fraction) -> None:
    frames = gradient(12)
    out = write_video(frames, tmp_path / "clip.mp4", fps=fps)
    clip = read_video(out)
    assert isinstance(clip, VideoClip)
    assert clip.frames.shape == frames.shape and clip.frames.dtype == np.uint8
    assert clip.frames.flags.c_contiguous
    assert clip.fps == fps and isinstance(clip.fps, Fraction)
    assert mad(clip.frames, frames) < 4
    assert clip.source_frames == 12 and clip.start_frame == 0 and not clip.has_audio
    assert clip.duration == pytest.approx(12 / float(fps))
    info = probe(out)
    assert (info.width, info.height, info.frames, info.fps) == (64, 48, 12, fps)
    assert info.codec == "h264" and not info.has_audio


def test_mov_and_mkv_round_trip(tmp_path: Path) -> None:
    frames = gradient(8)
    for name in ("a.mov", "b.mkv"):
        clip = read_video(write_video(frames, tmp_path / name, fps=Fraction(25)))
        assert clip.frames.shape == frames.shape and clip.fps == 25
        assert mad(clip.frames, frames) < 4


def test_odd_size_is_padded_to_even(tmp_path: Path) -> None:
    frames = gradient(8, 47, 63)
    warnings: list[str] = []
    write_video(frames, tmp_path / "odd.mp4", fps=Fraction(24), warn=warnings.append)
    assert any("63x47" in w and "64x48" in w for w in warnings)
    clip = read_video(tmp_path / "odd.mp4")
    assert clip.frames.shape == (8, 48, 64, 3)
    assert mad(clip.frames[:, :47, :63], frames) < 4


def test_frame_range(tmp_path: Path) -> None:
    frames = gradient(12)
    out = write_video(frames, tmp_path / "clip.mp4", fps=Fraction(24))
    clip = read_video(out, start=3, end=7)
    assert len(clip.frames) == 4 and clip.start_frame == 3 and clip.source_frames == 12
    assert mad(clip.frames, frames[3:7]) < 4
    assert len(read_video(out, start=9).frames) == 3
    assert len(read_video(out, end=100).frames) == 12  # an end past the clip is fine


def test_max_side_downscales_keeping_aspect(tmp_path: Path) -> None:
    frames = gradient(6, 48, 64)
    out = write_video(frames, tmp_path / "clip.mp4", fps=Fraction(24))
    clip = read_video(out, max_side=32)
    assert clip.frames.shape == (6, 24, 32, 3)
    assert any("downscaled from 64x48 to 32x24" in n for n in clip.notes)
    # Area averaging of a smooth gradient stays close to the block means.
    blocks = frames.reshape(6, 24, 2, 32, 2, 3).mean((2, 4))
    assert mad(clip.frames, blocks) < 5
    assert read_video(out, max_side=500).frames.shape == frames.shape
    assert scaled_size(1080, 1920, 640) == (360, 640)
    assert scaled_size(3, 1000, 10) == (1, 10)  # never below one pixel


def test_png_folder_round_trip_is_lossless(tmp_path: Path) -> None:
    frames = gradient(5)
    out = write_video(frames, tmp_path / "frames", fps=Fraction(24))
    names = sorted(p.name for p in out.iterdir())
    assert names == [FRAMES_MARK, *(f"frame_{i:05d}.png" for i in range(1, 6))]
    clip = read_video(out)
    assert np.array_equal(clip.frames, frames)
    assert clip.fps == Fraction(25)  # images carry no rate: the documented default
    # Writing again over a folder of frames this tool wrote replaces it.
    write_video(frames[:2], str(tmp_path / "frames") + "/", fps=Fraction(24))
    assert len(list(out.glob("frame_*.png"))) == 2


def test_frames_this_tool_did_not_write_are_never_replaced(tmp_path: Path) -> None:
    """FFmpeg's `frame_%05d.png` extraction makes the names this tool writes: a folder of
    them without the tool's mark is the user's, and refused before any work."""
    theirs = write_video(gradient(3), tmp_path / "extracted", fps=Fraction(24))
    (theirs / FRAMES_MARK).unlink()
    before = {p.name: p.read_bytes() for p in theirs.iterdir()}
    with pytest.raises(InputError, match="PNG frames that this tool did not write"):
        write_video(gradient(2), str(theirs) + "/", fps=Fraction(24))
    with pytest.raises(InputError, match="did not write"):
        check_target(theirs)
    assert {p.name: p.read_bytes() for p in theirs.iterdir()} == before


def test_gif_write_and_read(tmp_path: Path) -> None:
    frames = gradient(9)
    out = write_video(frames, tmp_path / "anim.gif", fps=Fraction(25))
    clip = read_video(out)
    assert clip.frames.shape == frames.shape
    assert mad(clip.frames, frames) < 10  # 256 colours, dithered


def test_single_image_and_natural_sorted_folder(tmp_path: Path) -> None:
    frames = gradient(11)
    write_video(frames, tmp_path / "tmp_frames", fps=Fraction(24))
    one = read_video(tmp_path / "tmp_frames" / "frame_00003.png")
    assert one.frames.shape == (1, 48, 64, 3) and np.array_equal(one.frames[0], frames[2])
    folder = tmp_path / "shots"
    folder.mkdir()
    for i in range(11):  # shot1, shot2, ..., shot10: plain sorting would put 10 second
        (tmp_path / "tmp_frames" / f"frame_{i + 1:05d}.png").rename(folder / f"shot{i}.png")
    (folder / "notes.txt").write_text("ignored")
    clip = read_video(folder, start=1, end=11)
    assert np.array_equal(clip.frames, frames[1:11])
    assert clip.source_frames == 11 and clip.start_frame == 1
    info = probe(folder)
    assert (info.kind, info.frames, info.width, info.height) == ("images", 11, 64, 48)


def test_a_sequence_with_a_gap_or_a_number_twice_says_so(tmp_path: Path) -> None:
    frames = gradient(6)
    written = write_video(frames, tmp_path / "w", fps=Fraction(24))
    gap, twice = tmp_path / "gap", tmp_path / "twice"
    gap.mkdir()
    twice.mkdir()
    for i in (0, 1, 2, 5, 6):
        (gap / f"shot{i}.png").write_bytes((written / f"frame_{min(i, 5) + 1:05d}.png").read_bytes())
    for name, src in (("f1.png", 1), ("f01.png", 2), ("f2.png", 3)):
        (twice / name).write_bytes((written / f"frame_{src:05d}.png").read_bytes())
    clip = read_video(gap)
    assert len(clip.frames) == 5 and "the numbered images skip 3..4: the clip jumps there" in clip.notes
    assert any("have the same number" in n for n in read_video(twice).notes)
    assert not any("skip" in n or "same number" in n for n in read_video(written).notes)


def test_image_folder_with_mixed_sizes_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    write_video(gradient(2), folder, fps=Fraction(24))
    write_video(gradient(1, 32, 32), tmp_path / "small", fps=Fraction(24))
    (tmp_path / "small" / "frame_00001.png").rename(folder / "frame_00003.png")
    with pytest.raises(InputError, match="frame_00003.png.*same size"):
        read_video(folder)


def test_rotation_metadata_is_applied(tmp_path: Path) -> None:
    frames = gradient(4, 48, 64)
    path = make_file(tmp_path / "rot.mp4", frames, rotation=90)
    info = probe(path)
    assert (info.width, info.height, info.rotation) == (48, 64, 90)
    clip = read_video(path)
    assert clip.frames.shape == (4, 64, 48, 3)
    assert mad(clip.frames, np.rot90(frames, 1, axes=(1, 2))) < 4
    assert any("rotated" in n for n in clip.notes)
    small = read_video(path, max_side=32)
    assert small.frames.shape == (4, 32, 24, 3)


def test_rotate_frame_helper() -> None:
    img = np.arange(6, dtype=np.uint8).reshape(2, 3, 1)
    assert rotate_frame(img, 0) is img
    assert rotate_frame(img, 90)[:, :, 0].tolist() == [[2, 5], [1, 4], [0, 3]]  # CCW
    assert rotate_frame(img, -90)[:, :, 0].tolist() == [[3, 0], [4, 1], [5, 2]]
    assert rotate_frame(img, 180)[:, :, 0].tolist() == [[5, 4, 3], [2, 1, 0]]


def _with_exif_orientation(jpeg: bytes, orientation: int) -> bytes:
    """A JPEG with an APP1 Exif block holding one tag: Orientation (0x0112)."""
    import struct

    tiff = (b"MM\x00\x2a" + struct.pack(">IH", 8, 1)
            + struct.pack(">HHIHH", 0x0112, 3, 1, orientation, 0) + struct.pack(">I", 0))
    payload = b"Exif\x00\x00" + tiff
    return jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + jpeg[2:]


def test_every_exif_orientation_is_shown_as_a_viewer_shows_it(tmp_path: Path) -> None:
    """Orientations 2, 4, 5 and 7 mirror the picture (a front camera): taken for turns
    alone, 2 and 4 were read upside down and 5 and 7 flipped the wrong way."""
    import cv2

    img = gradient(1, 48, 80)[0]
    img[:12, :12] = (255, 255, 0)  # a corner to tell the eight apart
    ok, jpeg = cv2.imencode(".jpg", img[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 98])
    assert ok
    # What each orientation shows: the stored picture mirrored and/or turned.
    shown = {1: img, 2: img[:, ::-1], 3: img[::-1, ::-1], 4: img[::-1], 5: img.transpose(1, 0, 2),
             6: np.rot90(img, -1), 7: img.transpose(1, 0, 2)[::-1, ::-1], 8: np.rot90(img, 1)}
    for orientation, want in shown.items():
        path = tmp_path / f"o{orientation}.jpg"
        path.write_bytes(_with_exif_orientation(jpeg.tobytes(), orientation))
        clip = read_video(path)
        assert clip.frames.shape[1:3] == want.shape[:2], orientation
        assert mad(clip.frames[0], want) < 4, orientation
        assert mad(clip.frames[0], cv2.imread(str(path))[..., ::-1]) < 4, orientation  # as cv2
        assert any("mirrored" in n for n in clip.notes) == (orientation in (2, 4, 5, 7))


def test_a_video_mirrored_by_its_track_matrix_is_read_mirrored(tmp_path: Path) -> None:
    """An MP4 whose matrix is [-1 0; 0 1] (a selfie flag): read as a 180° turn before."""
    import struct

    frames = gradient(3, 48, 80)
    path = make_file(tmp_path / "m.mp4", frames, fps=10)
    data = bytearray(path.read_bytes())
    at = data.find(b"tkhd") + 4 + 4 + 20 + 8 + 8  # version-0 tkhd: the matrix
    one = 1 << 16
    struct.pack_into(">9i", data, at, -one, 0, 0, 0, one, 0, 80 * one, 0, 1 << 30)
    path.write_bytes(bytes(data))
    clip = read_video(path)
    assert mad(clip.frames, frames[:, :, ::-1]) < 4
    assert any("mirrored left to right" in n for n in clip.notes)
    assert probe(path).mirrored and probe(path).rotation == 0


def test_full_hd_clip_reads(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    base = gradient(16, 1080, 1920)
    base[:, ::7] = rng.integers(0, 255, (16, 1, 1920, 3), dtype=np.uint8)  # some texture
    path = make_file(tmp_path / "hd.mp4", base, fps=25)
    clip = read_video(path)
    assert clip.frames.shape == (16, 1080, 1920, 3)


# --- audio -----------------------------------------------------------------------------


def test_audio_kept_when_durations_match(tmp_path: Path) -> None:
    src = make_file(tmp_path / "src.mp4", gradient(24), fps=24, audio="aac")
    clip = read_video(src)
    assert clip.has_audio and probe(src).has_audio
    warnings: list[str] = []
    out = write_video(clip.frames, tmp_path / "out.mp4", fps=clip.fps, audio_from=src,
                      source_duration=clip.duration, warn=warnings.append, protect=[src])
    assert stream_types(out) == ["video", "audio"] and warnings == []


def test_audio_reencoded_when_codec_does_not_fit(tmp_path: Path) -> None:
    src = make_file(tmp_path / "src.avi", gradient(24), fps=24, audio="pcm_alaw")
    out = write_video(gradient(24), tmp_path / "out.mp4", fps=Fraction(24), audio_from=src,
                      source_duration=1.0)
    with av.open(str(out)) as c:
        assert c.streams.audio[0].codec_context.name == "aac"
        samples = sum(f.samples for f in c.decode(audio=0))
    assert abs(samples - 44100) < 4096


def test_audio_dropped_with_warning_when_durations_differ(tmp_path: Path) -> None:
    src = make_file(tmp_path / "src.mp4", gradient(24), fps=24, audio="aac")
    warnings: list[str] = []
    out = write_video(gradient(12), tmp_path / "out.mp4", fps=Fraction(24), audio_from=src,
                      source_duration=1.0, warn=warnings.append)
    assert stream_types(out) == ["video"]
    assert warnings == ["audio dropped: output is 0.50 s, source is 1.00 s"]


# --- atomic writing --------------------------------------------------------------------


@pytest.mark.parametrize("name", ["out.mp4", "out.gif", "out_frames"])
def test_cancel_leaves_nothing_behind(tmp_path: Path, name: str) -> None:
    (tmp_path / "keep.txt").write_text("x")
    seen: list[tuple[int, int]] = []
    with pytest.raises(Cancelled):
        write_video(gradient(10), tmp_path / name, fps=Fraction(24),
                    progress=lambda d, t: seen.append((d, t)), cancel=lambda: len(seen) >= 4)
    assert seen == [(i, 10) for i in range(1, 5)]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]


def test_failure_keeps_existing_target(tmp_path: Path) -> None:
    target = tmp_path / "out.mp4"
    target.write_bytes(b"previous result")

    def boom(done: int, total: int) -> None:
        if done == 3:
            raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        write_video(gradient(8), target, fps=Fraction(24), progress=boom)
    assert target.read_bytes() == b"previous result"
    assert [p.name for p in tmp_path.iterdir()] == ["out.mp4"]
    write_video(gradient(8), target, fps=Fraction(24))  # a good write does replace it
    assert len(read_video(target).frames) == 8


def test_output_cannot_be_the_input(tmp_path: Path) -> None:
    src = write_video(gradient(4), tmp_path / "in.mp4", fps=Fraction(24))
    before = src.read_bytes()
    for kwargs in ({"protect": [src]}, {"audio_from": src}):
        with pytest.raises(InputError, match="in.mp4: the output cannot be the input file"):
            write_video(gradient(4), tmp_path / "sub" / ".." / "in.mp4", fps=Fraction(24),
                        **kwargs)
    assert src.read_bytes() == before


def test_bad_output_names(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"\.avi.*mp4, mov, mkv, gif"):
        write_video(gradient(2), tmp_path / "x.avi", fps=Fraction(24))
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "thesis.docx").write_text("important")
    with pytest.raises(InputError, match="busy: the folder has other files"):
        write_video(gradient(2), busy, fps=Fraction(24))
    with pytest.raises(InputError, match="does not exist"):
        write_video(gradient(2), tmp_path / "nope" / "x.mp4", fps=Fraction(24))


def test_output_kind_and_unique_names(tmp_path: Path) -> None:
    assert output_kind("a.MP4") == output_kind("a.mov") == output_kind("a.mkv") == "video"
    assert output_kind("a.gif") == "gif"
    assert output_kind("out/") == output_kind("out") == output_kind(tmp_path) == "frames"
    with pytest.raises(InputError, match="unknown output type"):
        output_kind("a.wmv")
    assert unique_output_paths("d/out.mp4", 1) == [Path("d/out.mp4")]
    assert unique_output_paths("d/out.mp4", 3) == [
        Path(f"d/out_seed000{i}.mp4") for i in range(3)
    ]
    names = unique_output_paths("out/", [7, 7, 42])
    assert names == [f"out_seed0007{os.sep}", f"out_seed0007_2{os.sep}", f"out_seed0042{os.sep}"]
    # A dotted folder stays a folder (it was read as a file of type ".mp4_seed0000").
    dotted = unique_output_paths("renders/v.mp4/", 2)
    assert dotted == [os.path.join("renders", f"v.mp4_seed000{i}") + os.sep for i in range(2)]
    assert {output_kind(n) for n in dotted} == {"frames"}
    (tmp_path / "made.mp4").mkdir()  # an existing folder named like a file: a file was meant
    with pytest.raises(InputError, match="made.mp4: is a folder; give a file name, or made.mp4/"):
        output_kind(tmp_path / "made.mp4")
    assert output_kind(str(tmp_path / "made.mp4") + "/") == "frames"


def test_an_output_inside_an_input_folder_is_refused(tmp_path: Path) -> None:
    """A folder of frames is the input: an output written among them would replace one of
    them, or add an image that makes the folder unreadable as a sequence."""
    seq = write_video(gradient(3), str(tmp_path / "seq") + "/", fps=Fraction(24))
    before = sorted((p.name, p.read_bytes()) for p in seq.iterdir())
    for name in ("frame_00002.png", "variation.png", "sub/"):
        with pytest.raises(InputError, match="inside the input folder seq"):
            write_video(gradient(1), str(seq / name), fps=Fraction(24), protect=[seq])
    assert sorted((p.name, p.read_bytes()) for p in seq.iterdir()) == before


# --- bad input -------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="ghost.mp4: file not found"):
        read_video(tmp_path / "ghost.mp4")


def test_text_file_named_mp4(tmp_path: Path) -> None:
    path = tmp_path / "notes.mp4"
    path.write_text("just some text, not a video\n" * 20)
    with pytest.raises(InputError, match="notes.mp4: not a video"):
        read_video(path)
    (tmp_path / "empty.mp4").write_bytes(b"")
    with pytest.raises(InputError, match="empty.mp4: the file is empty"):
        probe(tmp_path / "empty.mp4")


def test_audio_only_file(tmp_path: Path) -> None:
    path = make_file(tmp_path / "song.m4a", None, audio="aac", audio_seconds=0.5)
    with pytest.raises(InputError, match="song.m4a: has no video stream"):
        read_video(path)


@pytest.mark.parametrize("fraction", [0.5, 0.1, 0.02])
def test_truncated_mp4(tmp_path: Path, fraction: float) -> None:
    good = write_video(gradient(24), tmp_path / "good.mp4", fps=Fraction(24))
    data = good.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: int(len(data) * fraction)])
    with pytest.raises(InputError, match="cut.mp4: the file is damaged or truncated"):
        read_video(cut)


def test_pixel_cap_names_a_max_side_that_fits(tmp_path: Path) -> None:
    path = write_video(gradient(6, 48, 64), tmp_path / "big.mp4", fps=Fraction(24))
    with pytest.raises(InputError, match=r"big.mp4: frames of 64x48 .*--max-side (\d+)") as err:
        read_video(path, max_pixels=1000)
    side = int(str(err.value).split("--max-side ")[1].split()[0])
    assert side == max_side_hint(48, 64, 6, 1000, 10**9)
    clip = read_video(path, max_side=side, max_pixels=1000)
    assert clip.frames.shape[1] * clip.frames.shape[2] <= 1000

    with pytest.raises(InputError, match=r"big.mp4: 6 frames .*--max-side (\d+)") as err:
        read_video(path, max_voxels=6000)
    side = int(str(err.value).split("--max-side ")[1].split()[0])
    assert read_video(path, max_side=side, max_voxels=6000).frames.size <= 6000 * 3


def test_too_few_frames(tmp_path: Path) -> None:
    path = write_video(gradient(5), tmp_path / "short.mp4", fps=Fraction(24))
    with pytest.raises(InputError, match="short.mp4: has only 5 frames; at least 8"):
        read_video(path, min_frames=8)
    with pytest.raises(InputError, match="short.mp4: has only 2 frames in the chosen range"):
        read_video(path, start=3, min_frames=3)
    with pytest.raises(InputError, match="short.mp4: the frame range starts at frame 9"):
        read_video(path, start=9)
    with pytest.raises(InputError, match="short.mp4: --end 2 must come after --start 4"):
        read_video(path, start=4, end=2)


def test_empty_image_folder(tmp_path: Path) -> None:
    (tmp_path / "void").mkdir()
    with pytest.raises(InputError, match="void: the folder has no images"):
        read_video(tmp_path / "void")


# --- the bundled sample ------------------------------------------------------------------


def test_sample_clip() -> None:
    assert SAMPLE_CLIP.is_file() and SAMPLE_CLIP.stat().st_size < 400_000
    clip = read_video(SAMPLE_CLIP)
    assert 24 <= len(clip.frames) <= 75 and clip.frames.shape[1:] == (144, 256, 3)
    assert clip.fps == 15
    # Real motion: consecutive frames differ, and the clip is not static overall.
    assert mad(clip.frames[0], clip.frames[-1]) > 3
    assert all(mad(a, b) > 0.2 for a, b in zip(clip.frames[:-1], clip.frames[1:], strict=True))


def test_engine_io_does_not_import_qt() -> None:
    code = "import sys, engine.io; sys.exit(any(m.startswith('PySide6') for m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_frames_folder_holding_the_input_is_refused(tmp_path: Path) -> None:
    out = write_video(gradient(3), tmp_path / "frames", fps=Fraction(24))
    src = out / "frame_00002.png"
    with pytest.raises(InputError, match="frames: the output folder holds the input file frame_00002.png"):
        write_video(gradient(3), out, fps=Fraction(24), protect=[src])
    assert src.is_file()


def test_the_same_frames_encode_to_the_same_file(tmp_path: Path) -> None:
    # x264's AVX-512 code gave 3 different files in 8 for these frames in one process.
    import hashlib

    rng = np.random.default_rng(0)
    base = rng.integers(0, 255, (1, 64, 96, 3), dtype=np.uint8)
    frames = np.concatenate([np.roll(base, k, axis=2) for k in range(12)])
    frames = (frames // 2 + rng.integers(0, 100, frames.shape)).clip(0, 255).astype(np.uint8)
    digests = {hashlib.md5(write_video(frames, tmp_path / f"o{k}.mp4", fps=Fraction(10)).read_bytes()).hexdigest()
               for k in range(6)}
    assert len(digests) == 1


def test_a_negative_start_is_named(tmp_path: Path) -> None:
    path = make_file(tmp_path / "clip.mp4", gradient(4), fps=24)
    with pytest.raises(InputError, match="clip.mp4: the first frame .--start. cannot be negative .got -1."):
        read_video(path, start=-1)


def test_a_folder_of_two_sequences_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    write_video(gradient(3), folder / "", fps=Fraction(24))  # frame_00001.png ...
    write_video(gradient(1)[0:1], folder / "cover.png", fps=Fraction(24))
    with pytest.raises(InputError, match=r"more than one image sequence \(frame_\*.png \(3\), cover.png \(1\)\)"):
        read_video(folder)


def test_check_reachable_names_what_the_system_refuses(tmp_path):
    from engine.io.paths import check_reachable, side_name

    check_reachable(tmp_path / "not_there.mp4")  # simply absent: the caller says so
    with pytest.raises(InputError, match="too long"):
        check_reachable(tmp_path / ("x" * 256 + ".mp4"))
    with pytest.raises(InputError, match="too long"):
        check_reachable(tmp_path / ("d" * 300) / "clip.mp4")  # a folder's name
    # A hidden sibling of a long legal name stays within 255 bytes, whole characters kept.
    for stem in ("c" * 250, "日本" * 40, "short"):
        side = side_name(tmp_path / f"{stem}.mp4", "partial", "0123abcd")
        assert len(os.fsencode(side.name)) <= 255 and side.name.startswith(".")
        assert side.name.endswith(".partial-0123abcd.mp4") and side.parent == tmp_path
    assert side_name(tmp_path / "out.mp4", "old", "ff").name == ".out.old-ff.mp4"


def test_the_max_side_hint_leaves_room_in_memory_for_the_run():
    """A long clip under the caps at the hinted side could still need more memory than is
    free: given what is free, the hint is a side whose run fits there too."""
    from engine.io.clip import MAX_PIXELS, MAX_VOXELS
    from engine.limits import estimated_peak_bytes

    caps_only = max_side_hint(1080, 1920, 600, MAX_PIXELS, MAX_VOXELS)
    free = 16 * 10**9
    side = max_side_hint(1080, 1920, 600, MAX_PIXELS, MAX_VOXELS, free)
    assert side < caps_only
    h, w = scaled_size(1080, 1920, side)
    assert estimated_peak_bytes((600, h, w), (600, h, w)) <= free
    h, w = scaled_size(1080, 1920, side + 1)
    assert estimated_peak_bytes((600, h, w), (600, h, w)) > free


def _variable_rate_file(path: Path) -> Path:
    """12 frames at 10 fps, then 12 at 5 fps (as a phone in low light): 3.6 s in all."""
    pts = [i * 9000 if i < 12 else 108000 + (i - 12) * 18000 for i in range(24)]
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=10)
        video.width, video.height, video.pix_fmt = 48, 32, "yuv420p"
        video.codec_context.time_base = video.time_base = Fraction(1, 90000)
        video.options = {"preset": "ultrafast", "crf": "12", "bf": "0"}
        for i, rgb in enumerate(gradient(24, 32, 48)):
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts, frame.time_base = pts[i], Fraction(1, 90000)
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
    return path


def test_a_variable_rate_clip_knows_when_each_frame_is_shown(tmp_path):
    """Frame 15 of 10 fps then 5 fps is shown at 1.2 + 3 / 5 = 1.8 s, not at 15 / (average
    fps): a range's sound starts there (it started 0.5 s late)."""
    path = _variable_rate_file(tmp_path / "vfr.mp4")
    whole = read_video(path)
    assert whole.seconds_at(15) == pytest.approx(1.8, abs=1e-3)
    assert whole.seconds_at(5) == pytest.approx(0.5, abs=1e-3)
    part = read_video(path, start=15, end=20)
    assert part.seconds_at(0) == pytest.approx(1.8, abs=1e-3)
    from app.state.media import Source

    assert Source(whole).selection(15, 20).start_seconds == pytest.approx(1.8, abs=1e-3)
    # Frames whose file gives no times (a folder of images) count at i / fps.
    folder = write_video(gradient(3), tmp_path / "frames", fps=Fraction(10))
    images = read_video(folder)
    assert images.times is None and images.seconds_at(2) == 2 / float(images.fps)


@pytest.mark.parametrize("suffix", [".mp4", ".mkv"])
def test_a_variable_rate_clip_plays_at_its_mean_rate(tmp_path, suffix):
    """Its frames are used evenly spaced, at its frames over its duration (24 over 3.6 s),
    so a variation lasts as long as the clip; a Matroska stream's nominal rate (10 fps
    here) played it in 2.4 s."""
    clip = read_video(_variable_rate_file(tmp_path / f"vfr{suffix}"))
    assert len(clip.frames) / float(clip.fps) == pytest.approx(3.6, rel=0.05)
    assert any("variable frame rate" in n for n in clip.notes)


def test_a_range_of_a_variable_rate_clip_plays_at_its_own_rate(tmp_path):
    """Frames 0-11 run at 10 fps in the source and 14-19 at 5 fps: played at the whole
    file's average (6.7 fps) they lasted 1.8 s and 0.9 s instead of 1.2 s, and their sound
    (cut to the output's length) ran into the next frames'. A constant-rate range of the
    same file, read whole, keeps its rate; the editor's in/out range does the same."""
    from app.state.media import Source

    path = _variable_rate_file(tmp_path / "vfr.mp4")
    fast, slow = read_video(path, end=12), read_video(path, start=14, end=20)
    assert (fast.fps, slow.fps) == (Fraction(10), Fraction(5))
    assert fast.duration == pytest.approx(1.2) and slow.duration == pytest.approx(1.2)
    assert any("play at 5 fps, their own rate" in n for n in slow.notes)
    whole = read_video(path)
    assert Source(whole).selection(14, 19).fps == Fraction(5)
    assert Source(whole).selection(0, 11).fps == Fraction(10)
    assert Source(whole).selection(0, 23).fps == whole.fps  # the whole clip: its average
    across = read_video(path, start=10, end=14)  # 10 fps then 5: uneven at any rate
    assert any("variable frame rate" in n for n in across.notes)
    even = read_video(write_video(gradient(6), tmp_path / "even.mp4", fps=Fraction(30000, 1001)),
                      start=1, end=4)
    assert even.fps == Fraction(30000, 1001) and not any("own rate" in n for n in even.notes)


def test_a_range_rate_snaps_to_the_rates_cameras_use():
    from engine.io.clip import range_rate

    assert range_rate(np.arange(10) / 25.0, Fraction(25)) == 25
    assert range_rate(np.arange(10) / 25.1, Fraction(25)) == 25  # within 1%: the clip's
    assert range_rate(np.arange(10) * 1001 / 30000, Fraction(15)) == Fraction(30000, 1001)
    assert range_rate(np.arange(10) / 59.94, Fraction(20)) == Fraction(60000, 1001)
    assert range_rate(np.arange(10) / 12.0 + 0.0005, Fraction(24)) == 12
    assert range_rate(np.arange(5) / 7.5, Fraction(6)) == Fraction(15, 2)
    assert range_rate(None, Fraction(25)) == 25 and range_rate(np.zeros(3), Fraction(25)) == 25


def test_non_square_pixels_are_read_as_the_shape_shown(tmp_path):
    """A clip of 32x24 pixels each twice as wide as tall (anamorphic video) is shown at
    64x24: it is read so, with a note, and its variations are not squashed."""
    path = tmp_path / "sar.mp4"
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=10)
        video.width, video.height, video.pix_fmt = 32, 24, "yuv420p"
        video.codec_context.sample_aspect_ratio = Fraction(2, 1)
        video.options = {"preset": "ultrafast", "crf": "12"}
        for rgb in gradient(4, 24, 32):
            out.mux(video.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")))
        out.mux(video.encode(None))
    info = probe(path)
    assert (info.width, info.height, info.pixel_aspect) == (64, 24, Fraction(2))
    clip = read_video(path)
    assert clip.frames.shape == (4, 24, 64, 3)
    assert any("non-square pixels (2:1)" in n for n in clip.notes)
    # Shown as stored: the picture stretched, not cut (its left and right edges as the file's).
    stored = gradient(4, 24, 32)
    assert mad(clip.frames[:, :, ::2], stored) < 12


def test_a_short_range_across_a_rate_change_is_called_variable_rate(tmp_path):
    """The probe reads only up to a range's end (too few packets to tell for a short one):
    the frames decoded say whether the range plays at the clip's rate."""
    path = _variable_rate_file(tmp_path / "vfr.mp4")

    def noted(**kw: int) -> bool:
        return any("variable frame rate" in n for n in read_video(path, **kw).notes)

    assert noted(start=10, end=14)  # 10 fps, then 5 fps
    assert noted()
    # Evenly 5 fps or 10 fps, against the file's 6.7 on average: played at its own rate
    # (test_a_range_of_a_variable_rate_clip_plays_at_its_own_rate), so not uneven.
    assert not noted(start=14, end=20)
    assert not noted(end=8)
    assert not noted(end=1)
    even = write_video(gradient(6), tmp_path / "even.mp4", fps=Fraction(10))
    assert not any("variable" in n for n in read_video(even, start=1, end=4).notes)
    # A GIF's delays are hundredths of a second: at 24 or 30 fps they alternate, 4 and 5
    # or 3 and 4, evenly on average; no note (one tick of the file's clock is slack).
    for fps in (24, 30):
        gif = write_video(gradient(8), tmp_path / f"even{fps}.gif", fps=Fraction(fps))
        assert not any("variable" in n for n in read_video(gif).notes)


def test_a_read_stops_when_cancelled(tmp_path):
    """The editor opening another clip cancels the read of the one before: it stops at the
    next frame instead of decoding the rest (minutes for a long 4K clip)."""
    path = write_video(gradient(20), tmp_path / "clip.mp4", fps=Fraction(10))
    asked = []

    def cancel() -> bool:
        asked.append(1)
        return len(asked) > 3

    with pytest.raises(Cancelled):
        read_video(path, cancel=cancel)
    assert len(asked) == 4
    assert len(read_video(path, cancel=lambda: False).frames) == 20


def test_a_folder_that_refuses_files_is_refused_before_any_work(tmp_path, monkeypatch):
    # os.access says yes to root on a read-only mount or in /proc; the run then failed only
    # at its end, with the temporary name in the message.
    import errno
    import tempfile

    def refuse(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    with pytest.raises(InputError, match=r"out.mp4: cannot write into .* \(read-only file system\)"):
        check_target(tmp_path / "out.mp4")
    monkeypatch.undo()
    check_target(tmp_path / "out.mp4")
    assert list(tmp_path.iterdir()) == []  # the probe file is gone


def test_a_folder_of_transparent_images_says_its_transparency_is_ignored(tmp_path):
    """As a single such image does: the folder's first image tells (it lost the note)."""
    import cv2

    folder = tmp_path / "rgba"
    folder.mkdir()
    for i, rgb in enumerate(gradient(3)):
        alpha = np.full((*rgb.shape[:2], 1), 100, np.uint8)
        cv2.imwrite(str(folder / f"f{i:03d}.png"), np.concatenate([rgb[..., ::-1], alpha], -1))
    single = read_video(folder / "f000.png")
    whole = read_video(folder)
    for clip in (single, whole):
        assert any("transparency (alpha) ignored" in n for n in clip.notes)
    assert probe(folder).alpha


def test_a_short_gif_read_whole_plays_at_the_rate_of_all_its_delays(tmp_path):
    """An 8-frame 30 fps GIF (delays of 3 and 4 hundredths) was read at 30.435 fps, its time
    stamps' span leaving out the last delay, with a note calling the whole clip a range at
    its own rate; the editor's whole range did the same."""
    frames = gradient(8, 32, 48)
    path = write_video(frames, tmp_path / "g30.gif", fps=Fraction(30))
    clip = read_video(path)
    assert not any("their own rate" in n for n in clip.notes), clip.notes
    assert clip.rate_of(0, 7) == clip.fps and abs(float(clip.fps) - 8 / 0.26) < 0.01
