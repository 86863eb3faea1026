"""Headless command line: generate, retarget, inpaint, analogy, sketch, bench.

Every bad input ends with one `error: ...` line on stderr and a non-zero exit code.
"""

from __future__ import annotations

import argparse
import importlib
import math
import signal
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from engine.cli_args import OneLineParser, path_name, whole
from engine.closed_pipes import survive_closed_pipes
from engine.config import KEEP_WHOLE_ALPHA, QUALITY_PRESETS, Settings, preset, shrink_scale
from engine.errors import Cancelled, EngineError, InputError
from engine.heap import SMALL_RUN_VOXELS, keep_freed_buffers
from engine.huge_pages import ask_for_huge_pages
from engine.progress import ProgressBar
from engine.request import (
    LevelResult,
    Request,
    suggests_blend_seams,
    suggests_keep_whole,
    summarise_notes,
)

if TYPE_CHECKING:  # it loads torch, which a mistyped command must not wait for
    from engine.realism import Realism



MAX_SEED = 2**31 - 1  # the editor's too: a seed outside is refused, not wrapped around
MAX_COUNT = 1000
MIN_READ_SIDE = 8  # the least longest side --max-side reads an input at (engine.config: max_side >= 8)
_positive = whole(1)
_seed = whole(0, MAX_SEED)
_crf = whole(0, 51, "from 0 (lossless) to 51")
_count = whole(1, MAX_COUNT)


def _common(p: argparse.ArgumentParser, *, sizes: bool = True, layout: str = "",
            frames_help: str = "") -> None:
    """The options every command shares. `layout`: what gives a guided output its size
    ("A", "the sketch"); the input's otherwise. `frames_help`: --frames' help, where the
    default one is not true."""
    p.add_argument("-o", "--output", required=True,  # "" is refused by check_target
                   help="output: .mp4/.mov/.mkv (H.264), .gif, .png (one frame) or a folder (numbered PNG frames)")
    whose = f"{layout}'s" if layout else "the input's"
    if sizes:
        p.add_argument("--width", type=_positive,
                       help=f"output width in {whose} pixels (default: {whose})")
        p.add_argument("--height", type=_positive,
                       help=f"output height in {whose} pixels (default: {whose})")
        p.add_argument("--frames", type=_positive,
                       help=frames_help or f"output frame count (default: {whose})")
    p.add_argument("--seed", type=_seed, default=0, help=f"random seed, 0 to {MAX_SEED} (default 0)")
    p.add_argument("--max-side", type=whole(8, span="at least 8 pixels"),
                   help=f"shrink the run so the longest side of {'B and the output' if layout else 'the input and the output'} "
                   "fits, one scale for both" + (" (--width/--height shrink with it)" if sizes else ""))
    whose_frames = "B's" if layout else "input"
    p.add_argument("--start", type=whole(0), default=0, help=f"first {whose_frames} frame to use (default 0)")
    p.add_argument("--end", type=whole(1), help=f"{whose_frames} frame to stop before (default: the last)")
    draft = ("2 EM iterations, at the clip's full size" if not sizes and not layout
             else "2 EM iterations, input and output at most 320 px")  # inpainting never shrinks
    p.add_argument("--quality", choices=list(QUALITY_PRESETS), default="normal",
                   help=f"draft (quick: {draft}) / normal (default) / best (the paper's vote of every "
                   "patch; about 3x slower)")
    p.add_argument("--device", default="auto", help="auto (CUDA when available), cpu, cuda or cuda:N")
    p.add_argument("--crf", type=_crf, default=18, help="H.264 quality, 0 (lossless) to 51 (default 18)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="python main.py",
        description="Make new videos out of a single input video (VGPNN). "
        "With no subcommand, opens the editor; `python main.py --check` tests this machine.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    g = sub.add_parser("generate", help="random variations (and spatial/temporal retargeting)")
    g.add_argument("input", nargs="?", type=path_name, help="input video, image or image folder (default: the bundled sample)")
    _common(g)
    g.add_argument("--count", type=_count, default=1,
                   help=f"how many outputs, seeds N..N+K-1 (at most {MAX_COUNT})")
    g.add_argument("--variation", type=float, metavar="SCALE",
                   help="how far layouts may move: the coarsest noise as a multiple of the clip's own "
                   f"patch spacing, 0 to 20 (default {Settings().noise_scale:g}; 0 gives the input back)")
    g.add_argument("--noise", type=float, help="the coarsest noise's sigma itself, whatever the clip, "
                   "0 to 100 (overrides --variation; the authors' code uses 5)")
    g.add_argument("--keep-whole", action="store_true",
                   help="keep a large single subject (a dancer) whole: the completeness term where "
                   "the layout is drawn; layouts closer to the input's, more motion. Off by default")
    r = sub.add_parser("retarget", help="resize or change the duration without stretching or cropping")
    r.add_argument("input", type=path_name, help="input video, image or image folder")
    _common(r)
    r.add_argument("--noise", type=float, help="the coarsest noise's sigma, 0 to 100 (default 0: "
                   "the clip's own layout, resized; raise it, as the editor's Variation, for others)")
    for p in (g, r):
        # Neither flag: blend where the run's own seam measure flags them (Settings'
        # "auto"). Two flags, not one with an optional value, which would take the input
        # file after it for a value.
        seams = p.add_mutually_exclusive_group()
        seams.add_argument("--blend-seams", action="store_const", const="on", dest="blend_seams",
                           help="blend the faint seams where copied regions meet in smooth areas "
                           "(pale steps in a sky) in every result; by default only where the "
                           "run's seam measure flags them")
        seams.add_argument("--no-blend-seams", action="store_const", const="off", dest="blend_seams",
                           help="never blend faint seams, not even where they are flagged (as the "
                           "paper)")
        p.add_argument("--whole-frame", action="store_true",
                       help="make the whole frame: by default black bars, bars of one colour and "
                       "blurred sides around a tall or wide picture are kept out of what is made "
                       "and put back around it (README, Black bars)")
    i = sub.add_parser("inpaint", help="fill a painted hole from the rest of the video")
    i.add_argument("input", type=path_name, help="input video, image or image folder")
    i.add_argument("--mask", required=True, type=path_name, help="mask: numbered PNG frames (folder), an image or a "
                   "video; white = hole (transparent = not)")
    i.add_argument("--hints", type=path_name, help="hint colours: RGB where painted, black or transparent elsewhere")
    _common(i, sizes=False)
    from engine.cli_guided import add_parsers

    add_parsers(sub, _common)
    from engine.bench import add_parser

    add_parser(sub)
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    s = preset(args.quality).with_(device=args.device)
    if args.max_side:
        s = s.with_(max_side=args.max_side)
    if getattr(args, "blend_seams", None):
        s = s.with_(blend_seams=args.blend_seams)
    if getattr(args, "keep_whole", False):
        s = s.with_(coarse_completeness_alpha=KEEP_WHOLE_ALPHA)
    if getattr(args, "whole_frame", False):
        s = s.with_(keep_edges=False)
    variation = getattr(args, "variation", None)
    if variation is not None:
        if not (math.isfinite(variation) and 0 <= variation <= 20):
            raise InputError(f"--variation must be between 0 and 20, got {variation}")
        s = s.with_(noise_scale=variation)
    return s


def _read(args: argparse.Namespace, path: str | Path, settings: Settings):
    from engine.io import read_video

    return read_video(path, start=args.start, end=args.end, max_side=settings.max_side)


def _read_sides(settings: Settings, output_hw: tuple[int, int], *paths: str | Path,
                least_short: int = 0) -> list[int | None]:
    """The longest side to read each input at. Draft and --max-side shrink the run by one
    scale, so that the first input's (the source's) longest side and the output's
    (`output_hw`, in the original's pixels) both fit (engine.config.shrink_scale); None
    reads it at full size. least_short: the short side the first input needs once read (a
    look clip's 16 px), refused here with the --max-side that gives it."""
    from engine.io import probe
    from engine.io.clip import scaled_size

    if not settings.max_side:
        return [None] * len(paths)
    sizes = [probe(p) for p in paths]
    scale = shrink_scale(settings.max_side, sizes[0].height, sizes[0].width, *output_hw)
    source = max(sizes[0].height, sizes[0].width)
    h, w = sizes[0].height, sizes[0].width

    def short_read(side: int) -> int:
        s = shrink_scale(side, h, w, *output_hw)
        return min(scaled_size(h, w, max(MIN_READ_SIDE, round(source * s)) if s < 1 else None))

    if least_short and min(h, w) >= least_short and short_read(settings.max_side) < least_short:
        # The --max-side named is one that reads it large enough (500 was named, then
        # refused for the look clip's 16 px).
        least = math.ceil(least_short * max(source, *output_hw) / min(h, w))
        while short_read(least) < least_short:
            least += 1
        while least > 1 and short_read(least - 1) >= least_short:  # (rounding) the least
            least -= 1
        raise InputError(f"--max-side {settings.max_side} would read {Path(paths[0]).name} at "
                         f"{short_read(settings.max_side)} px on its short side for this output, "
                         f"under the {least_short} px it needs; use --max-side {least} or more")
    if scale < 1.0 and source * scale < MIN_READ_SIDE:
        # The input is read at 8 px at least; under that the output would have come out
        # larger than --max-side (a 2x wide output at --max-side 8 was 16 px wide).
        least = math.ceil(MIN_READ_SIDE * max(source, *output_hw) / source)
        raise InputError(f"--max-side {settings.max_side} would read the input at under "
                         f"{MIN_READ_SIDE} pixels for this output; use --max-side {least} "
                         "or more")
    return [None if scale == 1.0 else max(MIN_READ_SIDE, round(max(i.height, i.width) * scale))
            for i in sizes]


def _fit_output(args: argparse.Namespace, path: str | Path, settings: Settings) -> Settings:
    """settings whose max_side reads `path` so that it and the output asked for both fit."""
    from engine.io import probe

    if not settings.max_side:
        return settings
    info = probe(path)
    output = (getattr(args, "height", None) or info.height, getattr(args, "width", None) or info.width)
    return settings.with_(max_side=_read_sides(settings, output, path)[0])


def _shrink_reason(note: str, args: argparse.Namespace, asked: int | None, read: int | None,
                   larger: str) -> str:
    """The reader's "downscaled from" note with its reason: Draft or --max-side (`asked`,
    the longest side allowed), and where this clip was read smaller than that (`read`)
    because `larger` (the output, or the other clip) is the longer, that one scale fits
    both: a 3000-px output at Draft reads a 256x144 clip at 27x15, a fault when said bare."""
    if not note.startswith("downscaled from ") or not asked:
        return note
    cap = f"--max-side {args.max_side}" if args.max_side else f"Draft's limit of {asked} px"
    if read is None or read >= asked:
        return f"{note}: {cap}"
    again = "Normal" if not args.max_side else "a larger --max-side"
    return f"{note}: one scale fits both it and {larger} in {cap} ({again} reads it larger)"


def _typed_size(args: argparse.Namespace, path: str | Path, settings: Settings,
                asked: int | None = None) -> tuple[int | None, int | None]:
    """(--height, --width) in the pixels of the input as read. They are typed in the
    original's pixels, as in the editor; the input is read shrunk by --max-side or Draft,
    so they shrink by the same scale (the shape of the output stays the one asked for).
    asked: the --max-side (or Draft's) that `settings.max_side`, the input's side as read,
    was fitted from: the sizes shrink by its exact scale, the one that fits the output in it
    (by the side read over the input's, rounded, 1000 px at --max-side 100 made 102)."""
    from engine.io import probe

    height, width = getattr(args, "height", None), getattr(args, "width", None)
    if not settings.max_side or not (height or width):
        return height, width
    info = probe(path)
    longest = max(info.height, info.width)
    if longest <= settings.max_side:
        return height, width
    # As the reader shrinks (engine.io.clip.scaled_size), or by the exact scale asked for.
    scale = settings.max_side / longest if asked is None else \
        shrink_scale(asked, info.height, info.width, height or info.height, width or info.width)
    return (max(1, round(height * scale)) if height else None,
            max(1, round(width * scale)) if width else None)


def _check_sizes(args: argparse.Namespace, path: str | Path, settings: Settings,
                 asked: int | None = None) -> int:
    """Refuse an output over the limits (engine/limits.py), or a .png output for a result
    of many frames, from the probe alone, before decoding the clip or loading PyTorch: a
    mistyped --width must fail at once. Returns the run's size in voxels (the larger of
    source and output)."""
    from engine.io import source_shape
    from engine.limits import INPAINT_FIX, check_output_size, check_requested_size

    check_requested_size(getattr(args, "frames", None), getattr(args, "height", None),
                         getattr(args, "width", None))  # before opening the input at all
    src = source_shape(path, start=args.start, end=args.end, max_side=settings.max_side)
    height, width = _typed_size(args, path, settings, asked)
    out = (getattr(args, "frames", None) or src[0], height or src[1], width or src[2])
    if args.command == "inpaint":  # the clip's range at its size: both shrink together
        check_output_size(src, out, together=True, fix=INPAINT_FIX)
    else:
        check_output_size(src, out)
    _check_single_image_output(args.output, out[0], "frames" in vars(args))
    return max(math.prod(src), math.prod(out))


def _produce(args: argparse.Namespace, clip, request: Request, out: Path | str, label: str,
             protect: list[Path] | None = None, fps=None) -> tuple[Path, LevelResult]:
    """Run `request` on `clip` and write the result; `protect`: inputs it must not overwrite
    (default: the clip); `fps`: the output's frame rate when not the clip's (an analogy
    moves as clip A does). Returns the path written and the run's last level."""
    from engine.io import output_kind, write_video
    from engine.io.writer import GIF_MAX_FPS
    from engine.run import run

    bar = None if args.quiet else ProgressBar(label)
    result = None
    for result in run(clip.frames, request):
        if bar:
            bar.update(result.level, result.levels)
    assert result is not None
    for note in summarise_notes(result.notes):
        print(f"note: {note}", file=sys.stderr)
    kind = output_kind(out)  # as asked ("frames.mp4/" is a folder of frames)
    fps = fps or clip.fps
    written = write_video(
        result.frames, out, fps=fps, crf=args.crf,
        audio_from=clip.path if clip.has_audio else None,
        audio_start=clip.seconds_at(0), source_duration=clip.duration,
        warn=lambda m: print(f"warning: {m}", file=sys.stderr),
        protect=protect if protect is not None else [clip.path] if clip.path else [],
    )
    t = result.timings
    n, h, w = result.frames.shape[:3]
    if kind == "video":  # H.264 takes even sizes: the writer pads (and warns)
        h, w = h + h % 2, w + w % 2
    elif kind == "gif":  # over 50 fps a GIF keeps every k-th frame (the writer warned)
        n = len(range(0, n, math.ceil(fps / GIF_MAX_FPS)))
    print(f"{written}  {w}x{h}x{n}  "
          f"{result.elapsed:.1f} s (search {t['search']:.1f}, vote {t['vote']:.1f}) on {result.device}")
    return written, result


def _generate(args: argparse.Namespace) -> int:
    from engine.io import SAMPLE_CLIP, check_target, unique_output_paths
    from engine.limits import check_noise, check_requested_size

    if getattr(args, "noise", None) is not None:
        check_noise(args.noise)
    settings = _settings(args)
    source = args.input or SAMPLE_CLIP
    seeds = [args.seed + k for k in range(getattr(args, "count", 1))]
    if seeds[-1] > MAX_SEED:
        raise InputError(f"seeds {seeds[0]}..{seeds[-1]} go past the largest seed, {MAX_SEED}; "
                         "start from a smaller --seed")
    # Every output's name, folder and inputs checked before any work (a typo in -o must not
    # cost the whole run). A single output keeps the name as typed: "out.mp4/" is a folder.
    outs = unique_output_paths(args.output, seeds) if len(seeds) > 1 else [args.output]
    for out in outs:
        check_target(out, [source], crf=args.crf)
    # The caps first: Draft's fit of a 100000-px --width named a --max-side never typed.
    check_requested_size(args.frames, args.height, args.width)
    asked = settings
    settings = _fit_output(args, source, settings)
    load_engine_meanwhile(_check_sizes(args, source, settings, asked.max_side))
    clip = _read(args, source, settings)
    for note in clip.notes:
        output_px = f"the output's {max(args.width or 0, args.height or 0)} px"
        print(f"note: {_shrink_reason(note, args, asked.max_side, settings.max_side, output_px)}",
              file=sys.stderr)
    task = "generate" if args.command == "generate" else "retarget"
    noise = getattr(args, "noise", None)
    height, width = _typed_size(args, source, settings, asked.max_side)
    scorer = None
    scored: list[tuple[Path, Realism]] = []
    for seed, out in zip(seeds, outs, strict=True):
        req = Request(task=task, frames=args.frames, height=height, width=width,
                      seed=seed, noise=noise, settings=settings.with_(max_side=None))
        written, result = _produce(args, clip, req, out, f"{task} seed {seed}")
        if len(seeds) > 1:  # choosing among seeds: score each, as the seed browser does
            from engine.realism import RealismScorer

            scorer = scorer or RealismScorer(clip.frames)
            r = scorer(result.frames, seams=result.seams)
            scored.append((written, r))
            print(f"  realism {r.score:.0f}{_new(r)}{_mark(r)}")
    judged = _print_judged(scored) if len(scored) > 1 else []
    verdicts = judged or [r for _, r in scored]
    if any(r.looks_broken for r in verdicts) and suggests_keep_whole(req):
        print("hint: a subject cut into pieces? --keep-whole keeps one large subject (a dancer) "
              "whole far more often (README, Keep subjects whole)", file=sys.stderr)
    if any(r.seamy for r in verdicts) and suggests_blend_seams(req):
        print("hint: faint seams (pale steps where copied regions of a sky meet)? without "
              "--no-blend-seams they are blended where they show (README, Blend seams)",
              file=sys.stderr)
    return 0


def _new(r: Realism) -> str:
    """How new it looks (engine.newness), where measured."""
    return "" if r.new is None else f", {100 * r.new:.0f}% new"


def _mark(r: Realism) -> str:
    """The seed browser's badge in words."""
    return {"band_cut": " (flagged: a band of the scene cut)",
            "stands_out": f" (flagged: stands out among the {r.among}, {r.times_typical:.1f}x the typical)",
            "seams": " (flagged: faint seams where copied regions meet)",
            "flagged": " (flagged: likely artifacts)",
            "near_copy": " (mostly the input itself)"}.get(r.verdict, "")


def _print_judged(scored: list[tuple[Path, Realism]]) -> list[Realism]:
    """With four varied outputs or more, their realism judged among themselves (engine.realism
    judge_among): one threshold does not fit every clip, the ranking within one does."""
    from engine.realism import judge_among

    judged = judge_among([r for _, r in scored])
    if not judged[0].among:
        return []
    print(f"realism judged among the {judged[0].among} varied outputs, most realistic first:")
    for (path, _), r in sorted(zip(scored, judged, strict=True), key=lambda pr: -pr[1].score):
        new = "" if r.new is None else f"  {100 * r.new:.0f}% new"
        print(f"  {r.score:3.0f}  {path}{new}{_mark(r)}")
    return judged


def _check_single_image_output(output: str, frames: int, frames_option: bool = True) -> None:
    """Refuse a .png output for a many-frame result before spending the time to make it
    (frames_option: the command has --frames, to suggest)."""
    from engine.io import output_kind

    if output_kind(output) == "image" and frames != 1:
        raise InputError(f"{Path(output).name}: a .png output holds one frame but the result will "
                         f"have {frames}; use a folder, .mp4 or .gif"
                         + (" (or --frames 1)" if frames_option else ""))


def _inpaint(args: argparse.Namespace) -> int:
    from engine.io import check_target, probe
    from engine.io.masks import load_hints, load_mask

    # Draft does not shrink an inpainting (as in the editor): the mask is the clip's size,
    # and pixels outside the hole stay the source's. Only --max-side does, when asked.
    settings = _settings(args).with_(max_side=args.max_side)
    # The mask and hints are inputs too: the output never replaces them.
    inputs = [Path(p) for p in (args.input, args.mask, args.hints) if p]
    check_target(args.output, inputs, crf=args.crf)
    for layer in (args.mask, args.hints):  # a missing mask said at once, not once the clip
        if layer:  # was decoded (and as "cannot read the mask: m.png: file not found")
            probe(layer)
    load_engine_meanwhile(_check_sizes(args, args.input, settings))
    clip = _read(args, args.input, settings)
    for note in clip.notes:  # downscaled, rotated, a variable rate: said as generate says it
        print(f"note: {_shrink_reason(note, args, settings.max_side, None, '')}", file=sys.stderr)
    shape, whole = clip.frames.shape[:3], clip.source_frames
    mask = load_mask(args.mask, shape, start=args.start, source_frames=whole)
    hints = load_hints(args.hints, shape, start=args.start, source_frames=whole) if args.hints else None
    req = Request(task="inpaint", seed=args.seed, settings=settings.with_(max_side=None),
                  mask=mask, hints=hints)
    _produce(args, clip, req, args.output, "inpaint", protect=inputs)
    return 0


_loader: threading.Thread | None = None  # the helper thread below, joined before main() returns


def load_engine_meanwhile(voxels: int) -> None:
    """Import PyTorch and the engine on a helper thread while the main thread decodes the
    input: loading PyTorch is most of a short command's start-up (about 1.5 s on 2 cores)
    and decoding runs mostly outside Python's lock. Called once the cheap checks have
    passed, so that a mistyped size still fails at once without loading PyTorch. A failed
    import is left for the main thread's own import to report. Not when the engine is
    loaded already (tests, the bench in-process). `voxels`, the run's size, decides on huge
    pages first (engine/huge_pages.py): PyTorch reads that choice as it loads; and on how
    much of the freed memory glibc keeps for the next buffers (engine/heap.py)."""
    global _loader
    if "engine.run" in sys.modules or _loader is not None:
        return
    ask_for_huge_pages(voxels)
    keep_freed_buffers(voxels)

    def load() -> None:
        try:
            importlib.import_module("engine.run")
        except Exception:  # noqa: BLE001 - the main thread imports again and reports
            pass

    _loader = threading.Thread(target=load, name="load-engine", daemon=True)
    _loader.start()


def main(argv: list[str] | None = None) -> int:
    # Ctrl-C while the parser's imports run (the first quarter second), or a second one
    # while the engine's import ends: "cancelled", not a traceback.
    try:
        return _main(argv)
    except KeyboardInterrupt as stop:
        return _stopped(stop)
    finally:
        _join_loader()


def _stopped(stop: KeyboardInterrupt) -> int:
    """Say how the command was stopped; its exit code (130 for Ctrl-C, 128 + the signal)."""
    if isinstance(stop, _Terminated):
        print("\nstopped (terminated)", file=sys.stderr)
        return 128 + int(stop.args[0])
    print("\ncancelled", file=sys.stderr)
    return 130


def _main(argv: list[str] | None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:  # the command's own parser says it, with its own --help (the top one lists none)
        commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        (commands.choices.get(args.command) or parser).error(
            f"unrecognized arguments: {' '.join(extra)}")
    if args.command is None:
        parser.print_help()
        return 2
    start = time.perf_counter()
    with survive_closed_pipes():
        return _dispatch(args, start)


def _join_loader() -> None:
    """Never leave an import running into the interpreter's shutdown (at most the rest of
    PyTorch's import, about a second: a Ctrl-C meanwhile waits for it too)."""
    global _loader
    while _loader is not None:
        try:
            _loader.join()
            _loader = None
        except KeyboardInterrupt:
            continue


class _Terminated(KeyboardInterrupt):
    """SIGTERM (timeout, kill, a job scheduler) or SIGHUP (the terminal closed): stopped as
    Ctrl-C stops, so a half-written output's temporary name is removed on the way out."""


def _stop_on_signal(signum: int, frame: object) -> None:
    raise _Terminated(signum)


def _dispatch(args: argparse.Namespace, start: float) -> int:
    before = {}
    if threading.current_thread() is threading.main_thread():  # handlers: main thread only
        for name in ("SIGTERM", "SIGHUP"):
            if hasattr(signal, name):
                number = getattr(signal, name)
                before[number] = signal.signal(number, _stop_on_signal)
    try:
        return _run_command(args, start)
    finally:
        for number, handler in before.items():  # as they were (tests call main in-process)
            signal.signal(number, handler)


def _run_command(args: argparse.Namespace, start: float) -> int:
    try:
        if args.command in ("generate", "retarget"):
            code = _generate(args)
        elif args.command == "inpaint":
            code = _inpaint(args)
        elif args.command in ("analogy", "sketch"):
            from engine.cli_guided import run_guided

            code = run_guided(args)
        else:
            # Huge pages when the bench runs Full-HD (its figure that they change most); its
            # heap as the commands' own, for a fresh process only (tests call it in-process).
            fullhd = bool(getattr(args, "fullhd_seeds", 0))
            ask_for_huge_pages(None if fullhd else 0)
            if "torch" not in sys.modules:
                keep_freed_buffers(SMALL_RUN_VOXELS if fullhd else 0)
            from engine.bench import bench

            code = bench(args)
    except KeyboardInterrupt as stop:
        return _stopped(stop)
    except Cancelled:
        print("cancelled", file=sys.stderr)
        return 130
    except (InputError, EngineError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except MemoryError:
        print("error: out of memory; try a smaller --max-side or fewer frames", file=sys.stderr)
        return 3
    except OSError as exc:  # what the system refused where no check foresaw it: one line
        from engine.io.paths import short_name

        name = f"{short_name(Path(exc.filename).name)}: " if exc.filename else ""
        print(f"error: {name}{(exc.strerror or str(exc)).lower()}", file=sys.stderr)
        return 2
    if args.command != "bench" and not getattr(args, "quiet", False):
        print(f"done in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    return code
