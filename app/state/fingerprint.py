"""Which source file a project was made from: its path, size and a content hash.

Hashing a whole multi-gigabyte video would take too long at every open and save, so the
hash covers a bounded sample: the size and the first and last SAMPLE_BYTES of the file (the
whole file when it is smaller than twice that). It catches a replaced or re-encoded file,
not an edit in the middle of a big one; HASH_METHOD says so in the project file. A folder of
images hashes the sorted names and sizes of the images the reader uses.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from engine.errors import InputError
from engine.io.probe import list_images

SAMPLE_BYTES = 4 * 2**20
HASH_METHOD = ("blake2b-128 of the size and the first and last 4 MiB (the whole file when "
               "smaller; a folder: its images' sorted names and sizes)")


@dataclass(frozen=True)
class SourceInfo:
    """The source clip of a session: where it was, what it was, and the size it was read
    at for editing (masks are painted at that size)."""

    path: str  # absolute
    size: int  # bytes (a folder: all its files)
    digest: str
    frames: int
    height: int
    width: int

    @property
    def name(self) -> str:
        return Path(self.path).name

    @property
    def shape(self) -> tuple[int, int, int]:
        return self.frames, self.height, self.width

    def to_dict(self) -> dict:
        return {**asdict(self), "hash_method": HASH_METHOD}

    @classmethod
    def from_dict(cls, data: Any) -> SourceInfo:
        from app.state.settings import SettingsError

        if not isinstance(data, dict):
            raise SettingsError("source: expected an object")
        try:
            info = cls(path=str(data["path"]), size=int(data["size"]),
                       digest=str(data["digest"]), frames=int(data["frames"]),
                       height=int(data["height"]), width=int(data["width"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise SettingsError(f"source: missing or bad field ({exc})") from None
        if min(info.frames, info.height, info.width) < 1 or info.size < 0:
            raise SettingsError("source: sizes must be positive")
        return info


def fingerprint(path: str | os.PathLike[str]) -> tuple[int, str]:
    """(size in bytes, digest) of a file or a folder of images; OSError when unreadable."""
    p = Path(path)
    h = hashlib.blake2b(digest_size=16)
    if p.is_dir():
        # The images the reader uses alone: a project saved into the folder, a Thumbs.db or a
        # .DS_Store called the clip "changed" at every open. (Sorted as before, so a folder of
        # images alone keeps the digest a project holds.)
        try:
            used = {f.name for f in list_images(p)}
        except InputError:
            used = set()
        total = 0
        for child in sorted(c for c in p.iterdir() if c.name in used):
            size = child.stat().st_size
            total += size
            h.update(f"{child.name}\0{size}\0".encode())
        return total, h.hexdigest()
    with open(p, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        h.update(str(size).encode() + b"\0")
        if size <= 2 * SAMPLE_BYTES:
            h.update(f.read())
        else:
            h.update(f.read(SAMPLE_BYTES))
            f.seek(size - SAMPLE_BYTES)
            h.update(f.read(SAMPLE_BYTES))
    return size, h.hexdigest()


def describe(path: str | os.PathLike[str], shape: tuple[int, int, int]) -> SourceInfo:
    """SourceInfo of a clip read for editing at (T, H, W)."""
    size, digest = fingerprint(path)
    t, h, w = shape
    return SourceInfo(str(Path(path).expanduser().resolve()), size, digest, t, h, w)
