"""Mask schedulers: values from the reference implementations and the paper text, bounds, determinism."""

import json
import os.path as osp

import numpy as np
import pytest

from lmdkit.engine.hooks import optimizer_progress
from lmdkit.registry import MASK_SCHEDULERS

from ..conftest import FIXTURES


def build(type_, **kw):
    return MASK_SCHEDULERS.build(dict(type=type_, **kw))


def test_cosine_matches_the_authors_schedule():
    with open(osp.join(FIXTURES, 'lmd_authors_cosine_schedule.json')) as f:
        fixture = json.load(f)
    total = fixture['meta']['total_steps']
    sched = build('CosineMaskScheduler')
    for step, expected in fixture['ratios_by_step'].items():
        assert sched(int(step) / total, int(step)) == pytest.approx(expected, abs=1e-12)
    assert sched(0.9, 270) == 0.75  # the authors switch to r_max after 2/3 of training


def test_piecewise_follows_the_paper_text_and_never_exceeds_max():
    sched = build('PiecewiseMaskScheduler')
    # Paper, Sec. 3: 0.15 -> 0.40 over the first sixth, hold to 1/3, 0.40 -> 0.75 until 2/3, then 0.75.
    points = {
        0.0: 0.15,
        1 / 12: 0.275,
        1 / 6: 0.40,
        0.25: 0.40,
        1 / 3: 0.40,
        0.5: 0.575,
        2 / 3: 0.75,
        0.9: 0.75,
        1: 0.75,
    }
    for p, r in points.items():
        assert sched(p) == pytest.approx(r)
    grid = np.linspace(0, 1, 10001)
    values = np.array([sched(p) for p in grid])
    assert values.max() <= 0.75 + 1e-12 and values.min() >= 0.15 - 1e-12
    assert np.all(np.diff(values) >= -1e-12), 'piecewise schedule must be non-decreasing'
    # The authors' third segment restarts its step count at 0 and overshoots: 0.4 + 0.35 * (2/3) / (1/3) = 1.1.
    authors_at_two_thirds = 0.4 + (0.75 - 0.4) / (1 / 3) * (2 / 3)
    assert authors_at_two_thirds > 1 and sched(2 / 3) == pytest.approx(0.75)


def test_uniform_and_fixed():
    uni, fixed = build('UniformMaskScheduler'), build('FixedMaskScheduler')
    assert [uni(p) for p in (0, 0.5, 1)] == pytest.approx([0.15, 0.45, 0.75])
    assert {fixed(p) for p in np.linspace(0, 1, 11)} == {0.75}
    assert build('FixedMaskScheduler', ratio=0.6)(0.3) == 0.6


def test_random_range_is_a_function_of_seed_and_step():
    a, b = build('RandomRangeMaskScheduler', seed=3), build('RandomRangeMaskScheduler', seed=3)
    draws = [a(s / 100, s) for s in range(100)]
    assert draws == [b(s / 100, s) for s in range(100)]  # another "rank" / a resumed run draws the same
    assert all(0.3 <= r <= 0.5 for r in draws) and len(set(draws)) == 100
    assert draws != [build('RandomRangeMaskScheduler', seed=4)(s / 100, s) for s in range(100)]
    assert np.std(draws) == pytest.approx(0.2 / np.sqrt(12), rel=0.3)  # roughly uniform
    with pytest.raises(ValueError, match='needs the iteration'):
        a(0.5)


@pytest.mark.parametrize('kwargs', [dict(min_ratio=0.8, max_ratio=0.5), dict(min_ratio=0.1, max_ratio=1.0)])
def test_invalid_ranges_raise(kwargs):
    with pytest.raises(ValueError, match='min_ratio'):
        build('UniformMaskScheduler', **kwargs)


def test_progress_out_of_range_raises():
    with pytest.raises(ValueError, match='progress'):
        build('UniformMaskScheduler')(1.5)


def test_progress_counts_optimizer_steps_under_accumulation():
    assert optimizer_progress(0, 100) == (0.0, 0)
    assert optimizer_progress(50, 100) == (0.5, 50)
    # accumulate 4 micro-batches: iterations 8..11 are optimizer step 2 of 25
    assert {optimizer_progress(i, 100, 4) for i in range(8, 12)} == {(2 / 25, 2)}
