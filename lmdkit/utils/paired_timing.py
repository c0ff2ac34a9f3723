"""Time two training steps against each other fairly: alternated in one process, the median of per-pair ratios.

Unpaired timings on a shared machine wander by several per cent between runs (and twice as much between machines),
so comparing two implementations means running their steps in turn, A then B then B then A..., so that drift hits
both alike, and summarising by the median ratio of the pairs rather than a ratio of separate medians. The median
comes with a distribution-free confidence interval (order statistics, sign-test based): "A is measurably faster"
means the whole interval lies above 1.
"""

import math
import statistics
import time
from typing import Callable, Dict, List, Sequence, Tuple


def median_interval(values: Sequence[float], confidence: float = 0.95) -> Tuple[float, float, float]:
    """(low, high, coverage): the interval between the k-th smallest and k-th largest of ``values`` that covers the
    population median with probability ``coverage`` >= ``confidence``, for the largest such k; distribution-free
    (the count of values below the median is Binomial(n, 1/2)). With too few values for ``confidence`` it is
    (min, max) with the smaller coverage it has (5 values: 94 %).
    """
    n = len(values)
    if n == 0:
        raise ValueError('median_interval needs at least one value')

    def below(j: int) -> float:  # P(Binomial(n, 1/2) <= j)
        return sum(math.comb(n, i) for i in range(j + 1)) / 2**n

    # (k-th smallest, k-th largest) misses the median when fewer than k values fall on one side of it
    k = 1
    while k + 1 <= (n + 1) // 2 and 1 - 2 * below(k) >= confidence:
        k += 1
    ordered = sorted(values)
    coverage = 1 - 2 * below(k - 1)
    return ordered[k - 1], ordered[n - k], coverage


def paired_step_times(step_a: Callable[[], object], step_b: Callable[[], object], pairs: int = 5, warmup: int = 2,
                      sync: Callable[[], None] = lambda: None) -> Dict[str, object]:  # fmt: skip
    """Run ``warmup`` untimed steps of each, then ``pairs`` pairs, alternating which goes first.

    Returns the per-step seconds of each (``a``, ``b``), their medians and ``ratio``: the median over pairs of
    ``b / a`` (above 1: A is faster), with its :func:`median_interval` (``ratio_low``, ``ratio_high``,
    ``ratio_coverage``). ``sync`` waits for queued device work (``torch.cuda.synchronize`` on GPUs).
    """
    if pairs < 1:
        raise ValueError(f'pairs must be at least 1, got {pairs}')
    for _ in range(warmup):
        step_a()
        step_b()
    sync()

    def timed(step: Callable[[], object]) -> float:
        start = time.perf_counter()
        step()
        sync()
        return time.perf_counter() - start

    a: List[float] = []
    b: List[float] = []
    for i in range(pairs):
        if i % 2 == 0:
            a.append(timed(step_a))
            b.append(timed(step_b))
        else:
            b.append(timed(step_b))
            a.append(timed(step_a))
    ratios = [tb / ta for ta, tb in zip(a, b)]
    low, high, coverage = median_interval(ratios)
    return dict(a=a, b=b, a_median=statistics.median(a), b_median=statistics.median(b),
                ratio=statistics.median(ratios), ratios=ratios, ratio_low=low, ratio_high=high,
                ratio_coverage=coverage)  # fmt: skip
