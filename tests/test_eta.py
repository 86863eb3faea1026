"""The time-left estimate (engine.eta) on synthetic histories: levels whose times follow a
known model, so the right answer is known."""

from __future__ import annotations

import itertools

import pytest

from engine import eta

# Thirteen levels growing as a 144p clip's do (x1.8 voxels per level), 5 EM iterations
# below 100k voxels and 3 above.
PLAN = [(int(1200 * 1.8**n), 5 if 1200 * 1.8**n < 100_000 else 3) for n in range(13)]


def clock(plan, fixed, rate_of, startup=0.5):
    """The run's clock at the end of each level: startup, then fixed + rate x work each."""
    t, out = startup, []
    for voxels, iters in plan:
        t += fixed + rate_of(voxels) * voxels * iters
        out.append(t)
    return out


def flat(rate):
    return lambda voxels: rate


def growing(voxels):
    """Seconds per voxel-iteration rising with size, as on a CPU once levels leave the cache."""
    return 1e-6 * (1 + voxels / 500_000)


def test_nothing_to_say_before_the_levels_show_work_nor_after_the_last():
    """Alone, a run estimates once one of its levels (after the first, which holds the
    start-up) took twice its fixed cost in work; with a prior, from the first level."""
    elapsed = clock(PLAN, 0.05, flat(1e-6))
    assert eta.remaining([], []) is None
    assert eta.remaining(PLAN, []) is None
    assert eta.remaining(PLAN, elapsed[:2]) is None  # one level's time: no fixed cost yet
    first = next(k for k in range(1, len(PLAN)) if eta.remaining(PLAN, elapsed[:k]) is not None)
    work = [v * i * 1e-6 for v, i in PLAN]
    assert work[first - 1] >= 2 * 0.05 > work[first - 2]
    prior = eta.measure(PLAN, elapsed)
    assert eta.remaining(PLAN, elapsed[:1], prior) is not None
    assert eta.remaining(PLAN, elapsed) == 0.0


def test_a_constant_rate_is_found_from_the_first_levels():
    """fixed + rate x work: both are fitted over the levels seen, and the time left follows
    from the plan as soon as an estimate is given."""
    elapsed = clock(PLAN, 0.05, flat(1e-6))
    shown = [k for k in range(1, len(PLAN)) if eta.remaining(PLAN, elapsed[:k]) is not None]
    assert shown == list(range(shown[0], len(PLAN))) and shown[0] <= 6  # never goes away
    for k in shown:
        truth = elapsed[-1] - elapsed[k - 1]
        assert eta.remaining(PLAN, elapsed[:k]) == pytest.approx(truth, rel=0.05), k


def test_tiny_levels_do_not_promise_minutes_for_a_run_of_seconds():
    """The first levels' time is all fixed cost (0.1 s each) and noise: a rate read from
    them said minutes for this six-second run. Alone, no estimate until the levels show
    work; then not more than twice the truth."""
    elapsed = clock(PLAN, 0.1, flat(0.5e-6))
    noisy = [t + (0.08 if n % 2 else 0.0) for n, t in enumerate(elapsed)]  # a busy machine
    for k in range(1, len(PLAN)):
        est = eta.remaining(PLAN, noisy[:k])
        truth = noisy[-1] - noisy[k - 1]
        assert truth < 10 and (est is None or est < 2 * truth), (k, est, truth)


def test_a_prior_foresees_the_rate_of_the_larger_levels():
    """With the rate growing with size, carrying the last level's rate forward falls short
    early on; rates remembered from an earlier run (here on a machine 30% slower) know the
    larger sizes. From a smaller clip's run, the sizes above it are extrapolated flat: short
    still, but less."""
    elapsed = clock(PLAN, 0.05, growing)
    k = 6
    truth = elapsed[-1] - elapsed[k - 1]
    alone = eta.remaining(PLAN, elapsed[:k])
    assert alone < 0.7 * truth  # the bias the prior is for
    slower = eta.measure(PLAN, clock(PLAN, 0.08, lambda v: 1.3 * growing(v)))
    primed = eta.remaining(PLAN, elapsed[:k], slower)
    assert truth < primed < 1.3 * truth  # early, mostly the prior's (slower) rates
    smaller = PLAN[:11]
    partial = eta.measure(smaller, clock(smaller, 0.05, growing))
    assert alone < eta.remaining(PLAN, elapsed[:k], partial) < truth


def test_the_live_run_takes_over_from_the_prior():
    """A machine twice as slow as the prior says: early the prior's figure, then the run's
    own measure as its work adds up (never more than MAX_CORRECTION off the prior)."""
    prior = eta.measure(PLAN, clock(PLAN, 0.05, flat(1e-6)))
    elapsed = clock(PLAN, 0.05, flat(2e-6))
    ratios = []
    for k in range(1, len(PLAN)):
        truth = elapsed[-1] - elapsed[k - 1]
        ratios.append(eta.remaining(PLAN, elapsed[:k], prior) / truth)
    assert ratios[0] == pytest.approx(0.5, abs=0.05)  # level 1: the prior alone
    assert all(b >= a - 0.02 for a, b in itertools.pairwise(ratios))  # it only gets closer
    assert ratios[-1] == pytest.approx(1.0, abs=0.1)


def test_learn_blends_runs_and_stored_rates_are_checked():
    a = eta.Rates(0.1, {10: 1e-6, 12: 2e-6})
    b = eta.Rates(0.3, {12: 4e-6, 14: 5e-6})
    both = eta.learn(a, b)
    assert both.fixed == pytest.approx(0.2)
    assert both.per_size == pytest.approx({10: 1e-6, 12: 3e-6, 14: 5e-6})
    assert eta.learn(None, b) == b and eta.learn(a, None) == a
    assert eta.Rates.from_json(both.to_json()) == both
    for bad in (None, "x", {"fixed": 1}, {"fixed": -1, "per_size": {}},
                {"fixed": 0.1, "per_size": {"10": 0}}, {"fixed": 0.1, "per_size": {"a": 1}},
                {"fixed": float("nan"), "per_size": {}}):
        assert eta.Rates.from_json(bad) is None, bad
    assert a.rate(2**11) == 1e-6 or a.rate(2**11) == 2e-6  # a tie: either neighbour
    assert a.rate(2**20) == 2e-6 and a.rate(1) == 1e-6  # beyond: the nearest end
