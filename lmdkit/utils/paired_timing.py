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


def compare_models(ours, reference, step_ours: Callable[[], object], step_reference: Callable[[], object],
                   batch: int, pairs: int, warmup: int = 2) -> dict:  # fmt: skip
    """:func:`paired_step_times` of two models' steps, as one result of :func:`run_comparisons`."""
    timing = paired_step_times(step_ours, step_reference, pairs=pairs, warmup=warmup)
    return dict(batch=batch, ours_s=timing['a_median'], reference_s=timing['b_median'], ratio=timing['ratio'],
                ratios=timing['ratios'], params_ours=sum(p.numel() for p in ours.parameters()),
                params_reference=sum(p.numel() for p in reference.parameters()))  # fmt: skip


def comparison_arguments(parser, sizes: List[str], default_size: str):
    """The options every paired comparison tool takes: ``--sizes``, ``--dtypes``, ``--pairs``, ``--out``."""
    parser.add_argument('--sizes', nargs='+', default=[default_size], choices=sizes)
    parser.add_argument('--dtypes', nargs='+', default=['float32', 'bfloat16'], choices=['float32', 'bfloat16'])
    parser.add_argument('--pairs', type=int, default=7, help='timed pairs of steps per size and dtype')
    parser.add_argument('--out', help='JSON file')
    return parser


def run_comparisons(args, compare: Callable[[str, str], dict], model: str, reference: str) -> list:
    """``compare(size, dtype)`` for every size and dtype of ``args``, each result with ``batch``, ``ours_s``,
    ``reference_s``, ``ratio``, ``params_ours`` and ``params_reference``; prints a Markdown table row by row (``model``
    is formatted with the size, e.g. 'DiT-{size}/2') and writes the results to ``args.out`` as JSON."""
    import json

    print(f'| model | dtype | batch | params lmdkit / {reference} | lmdkit s/step | {reference} s/step | '
          f'{reference} / lmdkit (median of pairs) |\n|---|---|---|---|---|---|---|', flush=True)  # fmt: skip
    results = []
    for size in args.sizes:
        for dtype in args.dtypes:
            r = dict(size=size, dtype=dtype, **compare(size, dtype))
            results.append(r)
            print(f"| {model.format(size=size)} | {dtype} | {r['batch']} | {r['params_ours'] / 1e6:.1f} M / "
                  f"{r['params_reference'] / 1e6:.1f} M | {r['ours_s']:.4f} | {r['reference_s']:.4f} | "
                  f"{r['ratio']:.2f} |", flush=True)  # fmt: skip
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(results, f, indent=2)
    return results
