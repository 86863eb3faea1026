"""The time-left text of a run, and the rates this machine's earlier runs taught
(engine.eta's model), remembered in the editor's settings per device and quality."""

from __future__ import annotations

import json

from PySide6.QtCore import QSettings

from engine.eta import Rates, learn


def format_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes} min {secs:02d} s"


def format_estimate(seconds: float) -> str:
    """An estimate, as precise as it is: whole seconds under 20 s, then steps of 5 s, and
    minutes in steps of 10 s (never "1 min 03 s" for a guess)."""
    if seconds < 20:
        return f"{max(1, round(seconds))} s"
    if seconds < 57.5:
        return f"{5 * round(seconds / 5)} s"
    steps = int(round(seconds / 10))
    minutes, tens = divmod(steps, 6)
    return f"{minutes} min" if tens == 0 else f"{minutes} min {10 * tens} s"


class RatePriors:
    """engine.eta.Rates per (device, quality), kept in QSettings as JSON under
    eta/<quality>/<device>. A damaged value reads as none (the live run then estimates
    alone); None settings keep them in memory only."""

    GROUP = "eta"

    def __init__(self, settings: QSettings | None = None) -> None:
        self._settings = settings
        self._memory: dict[str, Rates] = {}

    @staticmethod
    def _key(device: str, quality: str) -> str:
        clean = "".join(c if c.isalnum() else "_" for c in f"{quality}/{device}".lower())
        return f"{RatePriors.GROUP}/{clean}"

    def get(self, device: str, quality: str) -> Rates | None:
        key = self._key(device, quality)
        if self._settings is None:
            return self._memory.get(key)
        text = self._settings.value(key, "")
        try:
            return Rates.from_json(json.loads(text)) if isinstance(text, str) and text else None
        except ValueError:
            return None

    def learn(self, device: str, quality: str, run: Rates | None) -> None:
        """Blend a finished run's rates into what is kept (engine.eta.learn)."""
        rates = learn(self.get(device, quality), run)
        if rates is None:
            return
        key = self._key(device, quality)
        if self._settings is None:
            self._memory[key] = rates
        else:
            self._settings.setValue(key, json.dumps(rates.to_json()))
