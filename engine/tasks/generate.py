"""Variations: random new videos that look and move like the source (any output size)."""

from __future__ import annotations

from engine.tasks.base import Task


class Generate(Task):
    name = "generate"
    default_noise = None  # from the clip: Settings.noise_scale x its patch spacing
    redraws_copies = True
    blends_seams = True
    keeps_bars = True
    keeps_whole = True
    retimes = True
