"""Time two training steps against each other fairly: alternated in one process, the median of per-pair ratios.

Unpaired timings on a shared machine wander by several per cent between runs (and twice as much between machines),
so comparing two implementations means running their steps in turn, A then B then B then A..., so that drift hits
both alike, and summarising by the median ratio of the pairs rather than a ratio of separate medians.
"""

import statistics
import time
from typing import Callable, Dict, List


def paired_step_times(step_a: Callable[[], object], step_b: Callable[[], object], pairs: int = 5, warmup: int = 2,
                      sync: Callable[[], None] = lambda: None) -> Dict[str, object]:  # fmt: skip
    """Run ``warmup`` untimed steps of each, then ``pairs`` pairs, alternating which goes first.

    Returns the per-step seconds of each (``a``, ``b``), their medians and ``ratio``: the median over pairs of
    ``b / a`` (above 1: A is faster). ``sync`` waits for queued device work (``torch.cuda.synchronize`` on GPUs).
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
    return dict(a=a, b=b, a_median=statistics.median(a), b_median=statistics.median(b),
                ratio=statistics.median(ratios), ratios=ratios)  # fmt: skip
