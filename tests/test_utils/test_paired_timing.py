"""paired_step_times: alternation order, counts and the median of per-pair ratios (on a fake clock); the
median's distribution-free interval against the published sign-test ranks."""

import pytest

from lmdkit.utils import paired_timing
from lmdkit.utils.paired_timing import median_interval, paired_step_times


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
    assert (result['ratio_low'], result['ratio_high']) == (2.0, 30.0)  # 5 pairs: the interval is (min, max)


def test_pairs_check():
    with pytest.raises(ValueError, match='pairs'):
        paired_step_times(lambda: None, lambda: None, pairs=0)


@pytest.mark.parametrize('n,rank,coverage', [(5, 1, 0.9375), (7, 1, 0.9844), (15, 4, 0.9648), (31, 10, 0.9706)])
def test_median_interval_takes_the_sign_test_ranks(n, rank, coverage):
    """95 % intervals for the median from n values: the rank-th smallest to the rank-th largest (Conover's table of
    sign-test ranks; 5 values cannot reach 95 %, so they give the extremes and their 93.75 %)."""
    values = [float(v) for v in reversed(range(n))]  # unsorted on purpose
    low, high, cover = median_interval(values)
    assert (low, high) == (rank - 1, n - rank)
    assert cover == pytest.approx(coverage, abs=1e-4)


def test_median_interval_of_one_value_covers_nothing_and_of_none_fails():
    assert median_interval([3.0]) == (3.0, 3.0, 0.0)
    with pytest.raises(ValueError, match='at least one'):
        median_interval([])
