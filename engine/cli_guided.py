"""The `analogy` and `sketch` subcommands: the layout of clip A (or of a sketch), the look of
clip B. Parsers and runners kept apart from engine.cli, which they plug into.

    python main.py analogy A B -o OUT [--a-levels 4] [--b-levels 8] [--guide-until 0.5]
    python main.py sketch SKETCH B -o OUT

B is the run's source: --start/--end pick its frames, and its sound goes to the output (kept
when the durations match); an analogy plays at A's frame rate, a sketch at B's. --max-side
shrinks both inputs. The output takes A's (the sketch's) size and
duration unless --width/--height/--frames say otherwise.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable
from pathlib import Path

from engine.cli_args import fraction, path_name, whole
from engine.errors import InputError
from engine.request import Request

MAX_LEVELS = 16  # engine.structure.MAX_LEVELS; not imported: the parser must not load torch

GUIDED = ("analogy", "sketch")


_levels = whole(2, MAX_LEVELS)


def add_parsers(sub, common: Callable[..., None]) -> None:
    """Add `analogy` and `sketch` to engine.cli's subparsers; `common` adds the shared options."""
    a = sub.add_parser("analogy", help="the motion layout of clip A with the look of clip B",
                       description="A new video that moves where A moves, made of B's patches.")
    a.add_argument("motion", metavar="A", type=path_name, help="the clip whose motion layout the result follows")
    a.add_argument("look", metavar="B", type=path_name, help="the clip whose look the result takes "
                   "(--start/--end pick its frames)")
    a.add_argument("--a-levels", type=_levels, default=4,
                   help="speed levels of A's quantised motion (default 4)")
    a.add_argument("--b-levels", type=_levels, default=8,
                   help="speed levels of B's quantised motion (default 8)")
    a.add_argument("--guide-until", type=fraction, default=None,
                   help="share of the pyramid, from the coarsest level, that A's motion steers "
                   "(default 0.5; 1 follows A most closely, lower keeps more of B's look)")
    common(a, layout="A")
    s = sub.add_parser("sketch", help="a drawn layout (sketch video, frames or one image) "
                       "with the look of clip B",
                       description="A new video that moves where the sketch is dark, made of "
                       "B's patches. Ink stands for motion, white paper for stillness; a "
                       "single image is held still for B's duration.")
    s.add_argument("sketch", type=path_name, help="the sketch: a video, a folder of numbered frames or one image")
    s.add_argument("look", metavar="B", type=path_name, help="the clip whose look the result takes")
    s.add_argument("--guide-until", type=fraction, default=None,
                   help="share of the pyramid the sketch steers (default 1: all of it)")
    # A sketch video keeps its own frame count (another one is refused); --frames is for a
    # one-image sketch, which otherwise lasts as long as B's frames (--start/--end).
    common(s, layout="the sketch", frames_help="output frame count, for a one-image sketch "
           "(default: B's frames; a sketch video keeps its own)")


def run_guided(args: argparse.Namespace) -> int:
    """Read A (or the sketch) and B, check them, make the result and write it."""
    from engine.cli import (
        _check_single_image_output,
        _produce,
        _read,
        _read_sides,
        _settings,
        _shrink_reason,
        _typed_size,
        load_engine_meanwhile,
    )
    from engine.io import check_target, probe, read_video, source_shape
    from engine.limits import check_output_size, check_requested_size
    from engine.look_clip import MIN_LOOK_SIDE, look_clip_problems

    sketch = args.command == "sketch"
    layout_path = args.sketch if sketch else args.motion
    settings = _settings(args)
    # Sizes first, from the headers alone: a mistyped --width fails at once.
    check_requested_size(args.frames, args.height, args.width)
    # One scale for B and the output under Draft or --max-side (a patch of B keeps its size
    # in the result): A, which sets the output's size, is read at the output's scale.
    a = probe(layout_path)
    look_side, layout_side = _read_sides(settings, (args.height or a.height, args.width or a.width),
                                         args.look, layout_path, least_short=MIN_LOOK_SIDE)
    look_settings, layout_settings = settings.with_(max_side=look_side), settings.with_(max_side=layout_side)
    look_shape = source_shape(args.look, start=args.start, end=args.end, max_side=look_side)
    layout_shape = source_shape(layout_path, max_side=layout_side)
    if sketch and args.frames and layout_shape[0] > 1 and args.frames != layout_shape[0]:
        # Said from the header, naming the file: it was refused after both clips were read,
        # after a warning about the length it then refused.
        raise InputError(f"{Path(layout_path).name}: the sketch has {layout_shape[0]} frames "
                         f"but --frames {args.frames} was given: leave --frames out (the output "
                         "is as long as the sketch), or sketch in one image")
    frames = args.frames or (look_shape[0] if sketch and layout_shape[0] == 1 else layout_shape[0])
    height, width = _typed_size(args, layout_path, layout_settings)  # in A's (the sketch's) pixels
    out = (frames, height or layout_shape[1], width or layout_shape[2])
    check_output_size(look_shape, out)
    _check_single_image_output(args.output, out[0])
    check_target(args.output, [Path(layout_path), Path(args.look)], crf=args.crf)
    errors, warnings = look_clip_problems(look_shape, out)
    if errors:
        why = ""
        if look_side is not None:  # read smaller than the file: say why, and the way out
            cap = f"--max-side {args.max_side}" if args.max_side else \
                f"Draft's limit of {settings.max_side} px"
            again = "a larger --max-side" if args.max_side else "Normal"
            whole = probe(args.look)
            why = (f" (the file is {whole.width}x{whole.height}, read smaller so that one scale "
                   f"fits it and the {args.width or a.width}x{args.height or a.height} output in {cap}; "
                   f"{again} reads it larger)")
        raise InputError(f"{Path(args.look).name}: {errors[0]}{why}")
    if not sketch and layout_shape[0] == 1:  # from the header: before decoding or PyTorch
        raise InputError(f"{Path(layout_path).name} has one frame: a still image has no motion "
                         "to follow (use a clip, or the sketch task)")

    load_engine_meanwhile(max(math.prod(look_shape), math.prod(out)))
    layout = read_video(layout_path, max_side=layout_side)
    look = _read(args, args.look, look_settings)
    # Each clip's shrink with its reason: the output (A's size, or as typed) or B is longer.
    b = probe(args.look)
    cap = settings.max_side
    b_px = f"B's {max(b.height, b.width)} px"
    output_px = f"the output's {max(args.height or a.height, args.width or a.width)} px"
    for note in layout.notes:
        print(f"note: {_shrink_reason(note, args, cap, layout_side, b_px)}", file=sys.stderr)
    for note in look.notes:
        print(f"note: {_shrink_reason(note, args, cap, look_side, output_px)}", file=sys.stderr)
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    try:
        _check_layout(args, layout.frames, Path(layout_path).name)
    except InputError as exc:
        if layout_side is None or "no strokes" not in str(exc):
            raise
        _, h, w = layout.frames.shape[:3]  # the drawing was there; the shrink thinned it away
        raise InputError(f"{exc}; it was read at {w}x{h} to keep B's scale under --max-side or "
                         "Draft: draw thicker strokes, or give a larger --max-side") from None
    req = Request(task=args.command, frames=args.frames, height=height, width=width,
                  seed=args.seed, settings=settings.with_(max_side=None),
                  guide=layout.frames, guide_until=args.guide_until,
                  **({} if sketch else dict(guide_levels=args.a_levels, look_levels=args.b_levels)))
    protect = [p for p in (layout.path, look.path) if p]
    # An analogy moves as A does, frame for frame: it plays at A's rate (a sketch at B's).
    _produce(args, look, req, args.output, f"{args.command} seed {args.seed}", protect=protect,
             fps=None if sketch else layout.fps)
    return 0


def _check_layout(args: argparse.Namespace, frames, name: str) -> None:
    """Say which file has no strokes or no motion before the run starts. The structure is
    remembered (engine.structure), so the run does not compute it again."""
    from engine.structure import clip_structure, sketch_structure

    if args.command == "sketch":
        sketch_structure(frames[:: max(1, len(frames) // 8)], what=name)
    else:
        clip_structure(frames, args.a_levels, seed=args.seed, what=name)
