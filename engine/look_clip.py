"""What a look clip (an analogy's or a sketch's clip B) needs, checked from its shape alone:
no PyTorch, so the editor's GUI thread checks it before a run (importing engine.tasks there
waited on the engine's import, 1.1-1.8 s soon after start)."""

from __future__ import annotations

from engine.config import Shape3

MIN_LOOK_FRAMES = 3  # a space-time patch
MIN_LOOK_SIDE = 16


def look_clip_problems(look: Shape3, output: Shape3) -> tuple[list[str], list[str]]:
    """(errors, warnings) about a look clip of shape `look` (T, H, W) for an output of
    `output`: errors make the run impossible, warnings say what the user will get."""
    errors: list[str] = []
    warnings: list[str] = []
    t, h, w = look
    ot, oh, ow = output
    if t < MIN_LOOK_FRAMES:
        errors.append(f"the look clip has {t} frame{'s' if t != 1 else ''}: it needs at least "
                      f"{MIN_LOOK_FRAMES} to have motion to copy")
    if min(h, w) < MIN_LOOK_SIDE:
        errors.append(f"the look clip is {w}x{h} px: it needs at least {MIN_LOOK_SIDE} px on its "
                      "short side")
    if not errors:
        if ot > t:
            warnings.append(f"the look clip has {t} frames, the output {ot}: its motion will repeat "
                            "(or shorten the output)")
        if oh > 2 * h or ow > 2 * w:
            warnings.append(f"the look clip ({w}x{h}) is much smaller than the output ({ow}x{oh}): "
                            "its few patches will repeat")
    return errors, warnings
