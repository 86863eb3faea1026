"""A corpus of hostile and unusual input files, made in code at test time (tiny and fast).

Each case is a file name, a builder that writes the file, and what a user must get: "ok" (a
valid result), "error" (one clear message) or "any" (either, as long as it is one of them).
Used by tests/test_hostile_inputs.py against the CLI and the editor's open path.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

T, H, W = 8, 24, 32  # the ordinary clip: small, so a draft run takes about a second


@dataclass(frozen=True)
class Case:
    name: str
    filename: str  # may hold spaces and non-ASCII characters, and a folder
    build: Callable[[Path], None]
    expect: str  # "ok" | "error" | "any"
    message: str = ""  # for "error": a part of the message the user must see


def texture(t: int = T, h: int = H, w: int = W, seed: int = 0) -> np.ndarray:
    """(T, H, W, 3) uint8: a smooth random texture drifting right."""
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 255, (h, w + 2 * t, 3), dtype=np.uint8)
    base = ((base.astype(np.uint16) + np.roll(base, 1, 1) + np.roll(base, 1, 0)) // 3).astype(np.uint8)
    return np.stack([base[:, 2 * i : 2 * i + w] for i in range(t)])


def encode(path: Path, frames: np.ndarray, *, codec: str = "libx264", pix_fmt: str = "yuv420p",
           fps: int = 24, in_format: str = "rgb24", fmt: str | None = None,
           container_options: dict | None = None, rotation: int | None = None,
           pts: list[int] | None = None, time_base: Fraction | None = None) -> None:
    with av.open(str(path), "w", format=fmt, options=container_options or {}) as out:
        stream = out.add_stream(codec, rate=fps)
        stream.width, stream.height = frames.shape[2], frames.shape[1]
        stream.pix_fmt = pix_fmt
        if codec == "libx264":
            stream.options = {"preset": "ultrafast", "crf": "18"}
        if time_base is not None:
            stream.codec_context.time_base = time_base
        if rotation is not None:
            stream.set_display_rotation(rotation)
        out.start_encoding()  # writes the header even when there are no frames
        for i, img in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(img, format=in_format)
            if pts is not None:
                frame.pts, frame.time_base = pts[i], time_base
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))


def good_mp4(path: Path, faststart: bool = True) -> None:
    encode(path, texture(), fmt="mp4",
           container_options={"movflags": "+faststart"} if faststart else None)


def _boxes(data: bytes) -> dict[bytes, tuple[int, int]]:
    """Top-level MP4 boxes: type -> (offset, size)."""
    out, offset = {}, 0
    while offset + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[offset : offset + 8])
        if size < 8:
            break
        out.setdefault(kind, (offset, size))
        offset += size
    return out


def truncated(fraction: float | None, faststart: bool = True) -> Callable[[Path], None]:
    """A good mp4 cut at a fraction of its length, or (None) just after its moov box."""
    def build(path: Path) -> None:
        good_mp4(path, faststart)
        data = path.read_bytes()
        if fraction is None:
            offset, size = _boxes(data)[b"moov"]
            cut = offset + size
        else:
            cut = int(len(data) * fraction)
        path.write_bytes(data[:cut])
    return build


def corrupt_moov(path: Path) -> None:
    """The moov box's tables overwritten with random bytes; box sizes kept."""
    good_mp4(path)
    data = bytearray(path.read_bytes())
    offset, size = _boxes(bytes(data))[b"moov"]
    rng = np.random.default_rng(1)
    start = offset + 8 + size // 3
    data[start : start + size // 3] = rng.integers(0, 256, size // 3, dtype=np.uint8).tobytes()
    path.write_bytes(bytes(data))


def audio_only(path: Path) -> None:
    with av.open(str(path), "w") as out:
        sound = out.add_stream("aac", rate=44100, layout="mono")
        wave = (0.3 * np.sin(np.arange(22050) / 10)).astype(np.float32)
        frame = av.AudioFrame.from_ndarray(wave[None], format="fltp", layout="mono")
        frame.sample_rate, frame.pts = 44100, 0
        out.mux(sound.encode(frame))
        out.mux(sound.encode(None))


def no_frames(path: Path) -> None:
    """A container with a video stream and not a single packet."""
    encode(path, np.zeros((0, H, W, 3), np.uint8), codec="mpeg4")


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_file(width: int, height: int, idat: bytes, depth: int = 8, colour: int = 2) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat)
            + png_chunk(b"IEND", b""))


def huge_png_header(path: Path) -> None:
    """A PNG that declares 100000 x 100000 pixels and holds a few bytes."""
    path.write_bytes(png_file(100_000, 100_000, zlib.compress(b"\x00" * 1000)))


def png_bomb(path: Path) -> None:
    """A valid 1-bit 30000 x 30000 PNG (900 million pixels) of about 110 KB: decoded to RGB it
    would take 2.7 GB."""
    side = 30_000
    row = b"\x00" * (1 + side // 8)  # filter byte + packed bits
    z = zlib.compressobj(9)
    parts = [z.compress(row * 1000) for _ in range(side // 1000)]
    parts.append(z.flush())
    path.write_bytes(png_file(side, side, b"".join(parts), depth=1, colour=0))


def huge_y4m(path: Path) -> None:
    """A YUV4MPEG2 stream that declares 100000 x 100000 frames."""
    path.write_bytes(b"YUV4MPEG2 W100000 H100000 F25:1 Ip A1:1 C420jpeg\nFRAME\n" + bytes(4096))


def huge_mp4_header(path: Path) -> None:
    """An mp4 whose track and sample entry claim 65535 x 65535 (the frames are small)."""
    good_mp4(path)
    data = bytearray(path.read_bytes())
    for kind in (b"avc1",):
        at = data.find(kind)
        if at > 0:  # width and height: 24 bytes after the type in a visual sample entry
            data[at + 28 : at + 32] = struct.pack(">HH", 65535, 65535)
    at = data.find(b"tkhd")
    if at > 0:  # 16.16 fixed point width and height end the version-0 tkhd box
        size = struct.unpack(">I", data[at - 4 : at])[0]
        end = at - 4 + size
        data[end - 8 : end] = struct.pack(">II", 65535 << 16, 65535 << 16)
    path.write_bytes(bytes(data))


def single_image(width: int, height: int, rgba: bool = False) -> Callable[[Path], None]:
    def build(path: Path) -> None:
        img = texture(1, height, width)[0]
        fmt = "rgb24"
        if rgba:
            alpha = np.linspace(0, 255, width, dtype=np.uint8)[None].repeat(height, 0)
            img, fmt = np.dstack([img, alpha]), "rgba"
        encode(path, img[None], codec="png", pix_fmt=fmt, in_format=fmt, fmt="image2",
               container_options={"update": "1"})
    return build


def one_pixel_video(path: Path) -> None:
    encode(path, texture(T, 1, 1), codec="ffv1", pix_fmt="yuv444p")


def two_frames(path: Path) -> None:
    encode(path, texture(2))


def ten_bit(path: Path) -> None:
    encode(path, texture(), pix_fmt="yuv420p10le")


def alpha_video(path: Path) -> None:
    frames = texture()
    alpha = np.full((*frames.shape[:3], 1), 128, np.uint8)
    encode(path, np.concatenate([frames, alpha], -1), codec="qtrle", pix_fmt="argb",
           in_format="rgba")


def rotated(path: Path) -> None:
    encode(path, texture(), rotation=90)


def variable_rate(path: Path) -> None:
    """Frames 40 ms, 40 ms, then 120 ms, 10 ms ... apart (a phone's variable frame rate)."""
    pts = [0, 40, 80, 200, 210, 260, 400, 420]
    encode(path, texture(), pts=pts, time_base=Fraction(1, 1000))


def random_bytes(path: Path) -> None:
    path.write_bytes(np.random.default_rng(7).integers(0, 256, 65536, dtype=np.uint8).tobytes())


def mp4_as(path: Path) -> None:
    good_mp4(path)


def png_as(path: Path) -> None:
    single_image(W, H)(path.with_suffix(".tmp.png"))
    path.with_suffix(".tmp.png").rename(path)


CASES: list[Case] = [
    Case("zero bytes", "empty.mp4", lambda p: p.write_bytes(b""), "error", "the file is empty"),
    Case("random bytes", "noise.mp4", random_bytes, "error", "not a video"),
    Case("text named .png", "notes.png", lambda p: p.write_text("not a picture\n" * 40), "error",
         "not a video or image file"),
    Case("truncated 10%", "cut10.mp4", truncated(0.1), "error", "damaged or truncated"),
    Case("truncated 50%", "cut50.mp4", truncated(0.5), "error", "damaged or truncated"),
    Case("truncated 90%", "cut90.mp4", truncated(0.9), "error", "damaged or truncated"),
    Case("truncated after moov", "cutmoov.mp4", truncated(None), "error", "damaged or truncated"),
    Case("truncated, moov at the end", "cutend.mp4", truncated(0.9, faststart=False), "error",
         "damaged or truncated"),
    Case("corrupted moov", "badmoov.mp4", corrupt_moov, "any"),
    Case("audio only", "song.m4a", audio_only, "error", "no video stream"),
    Case("no frames", "empty_track.avi", no_frames, "error", ""),
    Case("1x1 image", "dot.png", single_image(1, 1), "any"),
    Case("1x1 video", "dot.mkv", one_pixel_video, "any"),
    Case("2 frames", "two.mp4", two_frames, "ok"),
    Case("huge PNG header", "huge.png", huge_png_header, "error", ""),
    Case("PNG bomb", "bomb.png", png_bomb, "error", "30000x30000"),
    Case("huge y4m header", "huge.y4m", huge_y4m, "error", ""),
    Case("huge mp4 header", "huge.mp4", huge_mp4_header, "any"),
    Case("10-bit", "tenbit.mp4", ten_bit, "ok"),
    Case("alpha PNG", "alpha.png", single_image(W, H, rgba=True), "ok"),
    Case("alpha video", "alpha.mov", alpha_video, "ok"),
    Case("rotation", "rotated.mp4", rotated, "ok"),
    Case("variable frame rate", "vfr.mkv", variable_rate, "ok"),
    Case("mp4 named .png", "video.png", mp4_as, "ok"),
    Case("png named .mp4", "picture.mp4", png_as, "ok"),
    Case("unicode and spaces", "dossier vidéo/clip ünï 日本 – 1.mp4", good_mp4, "ok"),
]
