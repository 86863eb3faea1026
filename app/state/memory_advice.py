"""What to do when a run will not fit the memory free, in the editor's own terms: the
panel's sizes (not the shrunk ones Draft works at), the in/out range when the source alone
is too much, and Draft when it would fit. The engine's refusal names command-line options.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from app.state.request_builder import engine_shapes, with_quality
from engine import limits
from engine.request import Request

# Tasks whose output size follows their input: only the in/out range changes the run's size.
_NO_SIZE_CONTROLS = ("inpaint", "analogy", "sketch")


def _gb(n: float) -> str:
    return f"{n / 1e9:.1f} GB"


def _need(request: Request, source: tuple[int, int, int]) -> int:
    return limits.estimated_peak_bytes(*engine_shapes(request, source))


def _range_that_fits(request: Request, source: tuple[int, int, int], free: int) -> int:
    """The most in/out frames whose run fits, or 0. The output's frame count follows the
    range while it is the range's length (the panel's Frames track it until edited); one
    typed by hand, and an analogy's (clip A's), stays whatever the range."""
    t, h, w = source
    frames = None if request.task == "analogy" else request.frames
    follows = frames == t  # (None: the source's own length, which a request leaves unsaid)

    def shorter(n: int) -> Request:
        return replace(request, frames=n) if follows else request

    for n in range(t - 1, 0, -1):
        if _need(shorter(n), (n, h, w)) <= free:
            return n
    return 0


def _most(top: int, made: Callable[[int], Request], source: tuple[int, int, int],
          free: int) -> int:
    """The largest n under `top` whose request made(n) fits, or 0 (searched downwards:
    the estimate need not shrink steadily with n)."""
    for n in range(top - 1, 0, -1):
        if _need(made(n), source) <= free:
            return n
    return 0


def advice(request: Request, source: tuple[int, int, int], task: str,
           free: int | None = None) -> str | None:
    """None when the run fits the memory free now (or it cannot be told); else the dialog's
    text: what is needed, what is free, and the changes that make it fit."""
    free = limits.free_for_run() if free is None else free
    need = _need(request, source)
    if free is None or need <= free:
        return None
    # The figures offered fit in a little less than is free now: at the exact limit, free
    # memory a fraction lower (another program, the page cache) refused them in turn.
    room = int(free * limits.SUGGEST_SHARE)
    t, h, w = source
    out = (request.frames or t, request.height or h, request.width or w)
    made = f"{out[0]} frames of {out[2]}×{out[1]}" if out[0] != 1 else f"one frame of {out[2]}×{out[1]}"
    text = [f"This run ({made}, from {t} frames of {w}×{h}) needs about {_gb(need)} of memory, "
            f"and {_gb(free)} is free."]
    fixes = []
    smallest = replace(request, frames=1, height=min(out[1], 16), width=min(out[2], 16))
    fits = _range_that_fits(request, source, room)
    if task == "analogy" and not fits:  # the output alone (clip A's size and length) is too much
        fixes.append("choose a shorter or smaller clip A (the result has its size and length)")
    elif task in _NO_SIZE_CONTROLS or _need(smallest, source) > room:
        fixes.append(f"set a shorter in/out range (I and O){f': about {fits} frames fit' if fits else ''}")
    else:  # each with the figure that fits: a long clip needs far smaller sizes than a guess
        frames = _most(out[0], lambda n: replace(request, frames=n), source, room)
        side = _most(100, lambda pct: replace(request, height=max(1, out[1] * pct // 100),
                                              width=max(1, out[2] * pct // 100)), source, room)
        if frames:
            fixes.append(f"choose fewer Frames (at most {frames} at {out[2]}×{out[1]})")
        if side:
            fixes.append(f"choose a smaller Width and Height (at most {out[2] * side // 100}×"
                         f"{out[1] * side // 100} for {out[0]} frames)")
        if fits:
            fixes.append(f"set a shorter in/out range (I and O): about {fits} frames fit")
        if not (frames or side or fits):
            fixes.append("choose a smaller Width, Height and Frames")
    draft = with_quality(request, "draft")
    if request.settings.max_side is None and _need(draft, source) <= room and task != "inpaint":
        fixes.append("choose Draft quality, which works on a copy at most 320 px on its "
                     "longest side")
    text.append("To make it fit, " + ", or ".join(fixes) + ". Closing other programs frees "
                "memory too.")
    return " ".join(text)
