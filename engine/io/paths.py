"""Output naming: what kind of output a path asks for, and names for several outputs."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from engine.errors import InputError
from engine.io.clip import VIDEO_OUT_EXTS

SUPPORTED_OUTPUTS = "mp4, mov, mkv, gif, png (one frame), or a folder for PNG frames"
NAME_MAX = 255  # bytes in one file name (ext4, APFS, NTFS's 255 UTF-16 units near enough)


def short_name(name: str, keep: int = 48) -> str:
    """A file name fit for a message: a long one is cut in the middle."""
    return name if len(name) <= keep else f"{name[:keep // 2]}…{name[-keep // 2:]}"


def check_reachable(path: str | os.PathLike[str]) -> None:
    """Refuse, with a sentence, a path the system will not even look at: a name over 255
    bytes, or a folder on the way that cannot be entered (Path.exists() raises on both).
    A path that is simply not there passes: the caller says what it needs."""
    p = Path(os.fspath(path)).expanduser()
    for part in (p.name, *(q.name for q in p.parents)):
        if len(os.fsencode(part)) > NAME_MAX:
            raise InputError(f"{short_name(part)}: the name is too long "
                             f"({len(os.fsencode(part))} bytes; a name holds at most {NAME_MAX})")
    try:
        p.stat()
    except (FileNotFoundError, NotADirectoryError):
        pass
    except PermissionError:
        raise InputError(f"{short_name(p.name or str(p))}: permission denied (cannot look "
                         f"into {p.parent})") from None
    except OSError as exc:
        raise InputError(f"{short_name(p.name or str(p))}: "
                         f"{(exc.strerror or str(exc)).lower()}") from None


def side_name(path: Path, tag: str, token: str) -> Path:
    """A hidden sibling of `path` (same folder, so os.replace stays a rename):
    .STEM.TAG-TOKEN.SUFFIX, the stem cut so that the name keeps within NAME_MAX bytes."""
    room = NAME_MAX - len(os.fsencode(f"..{tag}-{token}{path.suffix}"))
    stem = os.fsencode(path.stem)
    if len(stem) > room:
        stem = stem[:max(room, 0)].decode("utf-8", "ignore").encode()  # whole characters
    return path.with_name(f".{os.fsdecode(stem)}.{tag}-{token}{path.suffix}")


def output_kind(path: str | os.PathLike[str]) -> str:
    """The output type a path asks for: "video", "gif", "image" or "frames".

    .mp4/.mov/.mkv -> "video"; .gif -> "gif"; .png -> "image" (a one-frame result, e.g. from
    a single input image); an existing folder, a name ending in "/" or a name without a
    suffix -> "frames" (numbered PNGs). Anything else is an InputError.
    """
    text = os.fspath(path)
    p = Path(text).expanduser()
    suffix = p.suffix.lower()
    check_reachable(p)
    if text.endswith(("/", os.sep)) or not suffix:
        return "frames"
    if p.is_dir():
        if suffix in (*VIDEO_OUT_EXTS, ".gif", ".png"):  # a file was meant: frames would surprise
            raise InputError(f"{p.name}: is a folder; give a file name, or {p.name}/ to write "
                             "PNG frames into it")
        return "frames"
    if suffix in VIDEO_OUT_EXTS:
        return "video"
    if suffix == ".gif":
        return "gif"
    if suffix == ".png":
        return "image"
    raise InputError(f"{p.name}: unknown output type {suffix!r}; use {SUPPORTED_OUTPUTS}")


def unique_output_paths(
    path: str | os.PathLike[str], count: int | Sequence[int]
) -> list[Path | str]:
    """Distinct names for several outputs: out.mp4 -> out_seed0007.mp4, out/ -> out_seed0007/.

    count: how many (seeds 0..count-1; a count of 1 keeps the name as is), or the seeds.
    A folder's name comes back as text ending in the path separator: as a Path it lost the
    slash, and "renders.v2/" became "renders.v2_seed0000", refused as a file of an unknown
    type.
    """
    text = os.fspath(path)
    base = Path(text).expanduser()
    if isinstance(count, int):
        if count < 1:
            raise InputError(f"--count must be at least 1 (got {count})")
        if count == 1:
            return [base]
        seeds: list[int] = list(range(count))
    else:
        seeds = [int(s) for s in count]
    folder = output_kind(text) == "frames"
    stem, suffix = (base.name, "") if folder else (base.stem, base.suffix)
    names: list[Path | str] = []
    seen: set[str] = set()
    for seed in seeds:
        label = f"{stem}_seed{seed:04d}"
        unique, n = label, 2
        while unique in seen:  # a repeated seed still gets its own file
            unique, n = f"{label}_{n}", n + 1
        seen.add(unique)
        name = base.with_name(unique + suffix)
        names.append(os.fspath(name) + os.sep if folder else name)
    return names


def same_file(a: Path, b: Path) -> bool:
    """True when two paths name the same file or folder (links and case folding included)."""
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return os.path.normcase(a.resolve()) == os.path.normcase(b.resolve())


def check_not_input(out: Path, protect: Sequence[Path]) -> None:
    """Refuse an output that is, or (as a frames folder) contains, one of the inputs."""
    for p in protect:
        if p is None:
            continue
        p = Path(p).expanduser()
        if same_file(out, p):
            raise InputError(f"{out.name}: the output cannot be the input file")
        if p.resolve().is_relative_to(out.resolve()):
            raise InputError(f"{out.name}: the output folder holds the input file {p.name}, "
                             "which writing the frames there would replace; choose another folder")
        if p.is_dir() and out.resolve().is_relative_to(p.resolve()):
            raise InputError(f"{out.name}: is inside the input folder {p.name}, whose images "
                             "are the input; writing there would change it. Choose another place")
