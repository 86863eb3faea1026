"""Time left of a coarse-to-fine run, from the first levels on.

Model: a level takes `fixed` seconds whatever its size (allocation, pyramid and thread
start-up: most of a tiny level's time) plus a rate x its work (voxels x EM iterations).
The rate per unit of work is not constant: on a CPU it doubles to triples from levels of
100k voxels to levels of millions (memory, not cache, feeds them). So the rate is kept per
size, in buckets of a power of two of voxels. A run measures the buckets it has passed;
the buckets still ahead come from `Rates` remembered from this machine's earlier runs (the
app stores them), scaled by how this run compares with them where both measured. With no
prior, the rate of the largest levels seen so far is carried forward (an underestimate
where the rate still grows). No torch, no Qt: the editor calls it on the GUI thread.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

Plan = Sequence[tuple[int, int]]  # every level's (voxels, EM iterations), coarse to fine

# A level's time says something about the rate once its work takes this many times the
# fixed cost; below, it is mostly fixed cost and the rate read from it is noise.
INFORMATIVE = 2.0
# How far this run may differ from the prior (another load on the machine, another clip's
# content): a ratio outside this is more likely a misfit than the machine.
MAX_CORRECTION = 3.0
# The share of the prior's whole run that counts as already agreeing with it (_correction).
TRUST = 0.1
# A finished run's rates replace a remembered bucket by this share (the rest is the old value).
LEARN = 0.5


def bucket(voxels: int) -> int:
    """The size class of a level: log2 of its voxels, rounded."""
    return round(math.log2(max(int(voxels), 1)))


@dataclass(frozen=True)
class Rates:
    """Seconds per level (`fixed`) and seconds per voxel-iteration by size bucket."""

    fixed: float = 0.0
    per_size: dict[int, float] = field(default_factory=dict)

    def rate(self, voxels: int) -> float | None:
        """The rate of the nearest measured bucket (the largest one for bigger levels)."""
        if not self.per_size:
            return None
        b = bucket(voxels)
        return self.per_size[min(self.per_size, key=lambda k: (abs(k - b), -k))]

    def to_json(self) -> dict:
        return {"fixed": self.fixed, "per_size": {str(k): v for k, v in self.per_size.items()}}

    @classmethod
    def from_json(cls, data: object) -> Rates | None:
        """The stored rates, or None where the value is not well formed (an old or damaged
        settings file must not stop a run)."""
        try:
            fixed = float(data["fixed"])  # type: ignore[index]
            per_size = {int(k): float(v) for k, v in data["per_size"].items()}  # type: ignore[index]
        except (KeyError, TypeError, ValueError, AttributeError):
            return None
        ok = math.isfinite(fixed) and fixed >= 0 and all(
            math.isfinite(v) and v > 0 for v in per_size.values())
        return cls(fixed, per_size) if ok else None


def level_seconds(elapsed: Sequence[float]) -> list[float]:
    """Each level's own time from the run's clock at each level's end."""
    return [b - a for a, b in zip([0.0, *elapsed[:-1]], elapsed, strict=True)]


def measure(plan: Plan, elapsed: Sequence[float]) -> Rates | None:
    """The rates the levels seen so far show (elapsed: seconds since the start at the end of
    levels 1..k). The first level is left out: its time holds the run's start-up. None with
    fewer than two other levels."""
    times = level_seconds(elapsed)[1:]
    if len(times) < 2:
        return None
    fixed = _fixed_cost([v * i for v, i in plan[1:len(elapsed)]], times)
    sums: dict[int, tuple[float, float]] = {}
    for (voxels, iters), t in zip(plan[1:], times, strict=False):
        if t >= INFORMATIVE * fixed and t > fixed:
            s, w = sums.get(bucket(voxels), (0.0, 0.0))
            sums[bucket(voxels)] = (s + t - fixed, w + voxels * iters)
    return Rates(fixed, {b: s / w for b, (s, w) in sums.items() if w > 0 and s > 0})


def _fixed_cost(work: Sequence[float], times: Sequence[float]) -> float:
    """The per-level intercept of times = fixed + rate x work, fitted by least squares; kept
    between 0 and the median level's time (a rate growing with size tilts the line; the
    shortest level's time was no bound: one tiny level took 0.07 s among others of 0.4 s,
    and a Full-HD run was then said to need half an hour)."""
    n = len(times)
    mw, mt = sum(work) / n, sum(times) / n
    var = sum((w - mw) ** 2 for w in work)
    slope = sum((w - mw) * (t - mt) for w, t in zip(work, times, strict=True)) / var if var > 0 else 0.0
    median = sorted(times)[n // 2]  # the upper one of two
    return min(max(mt - slope * mw, 0.0), max(median, 0.0))


def remaining(plan: Plan, elapsed: Sequence[float], prior: Rates | None = None) -> float | None:
    """Seconds left after levels 1..len(elapsed) of `plan`; None when nothing can be said yet
    (with no prior: before three levels are in)."""
    k, n = len(elapsed), len(plan)
    if n == 0 or k == 0:
        return None
    if k >= n:
        return 0.0
    live = measure(plan[:k], elapsed)
    if live is None and prior is None:
        return None
    fixed = live.fixed if live is not None else prior.fixed  # type: ignore[union-attr]
    ahead = plan[k:]
    if prior is not None and prior.per_size:
        scale = _correction(plan, k, live, prior)
        rates = [prior.rate(v) * scale for v, _ in ahead]  # type: ignore[operator]
    else:
        # Alone, the run says nothing until one of its levels took INFORMATIVE x its fixed
        # cost in work: a rate read from levels of fixed costs and noise promised minutes
        # for runs of seconds (and half an hour for a Full-HD run of four minutes).
        if max(level_seconds(elapsed)[1:]) - fixed < INFORMATIVE * fixed:
            return None
        rate = _carried_rate(plan[:k], elapsed, fixed)
        rates = [rate] * len(ahead)
    return sum(fixed + r * v * i for r, (v, i) in zip(rates, ahead, strict=True))


def _correction(plan: Plan, k: int, live: Rates | None, prior: Rates) -> float:
    """How much slower (> 1) or faster this run is than the prior, over the levels both
    measured, weighted by their work (the larger levels say the most). One level's time
    varies by 2x with the machine's other work, so the ratio starts from 1 as if TRUST of
    the run had agreed with the prior, and moves as the run's own work adds up."""
    got = want = 0.0
    if live is not None:
        for voxels, iters in plan[1:k]:
            b = bucket(voxels)
            if b in live.per_size and b in prior.per_size:
                got += live.per_size[b] * voxels * iters
                want += prior.per_size[b] * voxels * iters
    agreed = TRUST * sum(prior.rate(v) * v * i for v, i in plan)  # type: ignore[operator]
    ratio = (got + agreed) / max(want + agreed, 1e-12)
    return min(max(ratio, 1 / MAX_CORRECTION), MAX_CORRECTION)


def _carried_rate(seen: Plan, elapsed: Sequence[float], fixed: float) -> float:
    """The rate of the last two levels seen (the largest), for every level still to run."""
    times = level_seconds(elapsed)[1:][-2:]
    work = [v * i for v, i in seen[1:][-2:]]
    return max(sum(times) - fixed * len(times), 0.0) / max(sum(work), 1)


def learn(prior: Rates | None, run: Rates | None) -> Rates | None:
    """The rates to remember after a finished run: its buckets blended into the prior's."""
    if run is None or not run.per_size:
        return prior
    if prior is None:
        return run
    per_size = dict(prior.per_size)
    for b, r in run.per_size.items():
        per_size[b] = r if b not in per_size else LEARN * r + (1 - LEARN) * per_size[b]
    return Rates(LEARN * run.fixed + (1 - LEARN) * prior.fixed, per_size)
