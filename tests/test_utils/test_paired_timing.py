"""paired_step_times: alternation order, counts and the median of per-pair ratios (on a fake clock)."""

import pytest

from lmdkit.utils import paired_timing
from lmdkit.utils.paired_timing import paired_step_times


def test_steps_alternate_which_goes_first_and_the_ratio_is_the_median_of_pairs(monkeypatch):
    clock = [0.0]
    monkeypatch.setattr(paired_timing.time, 'perf_counter', lambda: clock[0])
    order = []
    b_costs = iter([2.0, 2.0, 30.0, 2.0, 2.0, 2.0, 2.0])  # warm-up, then one outlier pair

    def step_a():
        order.append('a')
        clock[0] += 1.0

    def step_b():
        order.append('b')
        clock[0] += next(b_costs)

    result = paired_step_times(step_a, step_b, pairs=5, warmup=1)
    assert order == ['a', 'b', 'a', 'b', 'b', 'a', 'a', 'b', 'b', 'a', 'a', 'b']
    assert result['a'] == [1.0] * 5 and result['b'] == [2.0, 30.0, 2.0, 2.0, 2.0]
    assert result['ratio'] == 2.0 and result['ratios'][1] == 30.0  # the outlier does not move the median


def test_pairs_check():
    with pytest.raises(ValueError, match='pairs'):
        paired_step_times(lambda: None, lambda: None, pairs=0)
