"""lmdkit's training step against a reference implementation's: paired timing and, on request, where each spends
its time (op categories from torch.profiler) and its model FLOP utilisation against the measured matmul peak.

The tools in ``tools/analysis/compare_*.py`` build the two steps; this module times, profiles and reports them.
"""

import json
from dataclasses import dataclass
from typing import Callable, List

import torch
import torch.nn as nn

from lmdkit.utils.paired_timing import paired_step_times

from .flops import count_flops, matmul_peak
from .step_profile import breakdown_table, profile_step

DTYPES = {'float32': torch.float32, 'bfloat16': torch.bfloat16}


@dataclass
class StepPair:
    """Two networks and a training step for each (forward, loss, backward, optimiser), fed the same batch."""

    ours: nn.Module
    reference: nn.Module
    step_ours: Callable[[], object]
    step_reference: Callable[[], object]
    batch: int


def compare_steps(pair: StepPair, dtype: str, pairs: int, warmup: int = 2, profile: bool = False) -> dict:
    """Time the two steps alternately (``paired_step_times``: ``ratio`` is the median of reference / ours over the
    pairs, ``ratio_low``–``ratio_high`` its distribution-free interval with ``ratio_coverage``; lmdkit is measurably
    faster when ``ratio_low`` > 1). With ``profile``, also each side's op breakdown per step
    (``profile_ours``/``profile_reference``), its FLOPs per step and MFU: FLOPs over the paired median time over
    the CPU's ``dtype`` matmul peak."""
    timing = paired_step_times(pair.step_ours, pair.step_reference, pairs=pairs, warmup=warmup)
    result = dict(batch=pair.batch, ours_s=timing['a_median'], reference_s=timing['b_median'], ratio=timing['ratio'],
                  ratios=timing['ratios'], ratio_low=timing['ratio_low'], ratio_high=timing['ratio_high'],
                  ratio_coverage=timing['ratio_coverage'], params_ours=sum(p.numel() for p in pair.ours.parameters()),
                  params_reference=sum(p.numel() for p in pair.reference.parameters()))  # fmt: skip
    if profile:
        peak = matmul_peak('cpu', DTYPES[dtype])
        result['matmul_peak'] = peak
        for side, step in (('ours', pair.step_ours), ('reference', pair.step_reference)):
            flops = count_flops(step)
            result[f'flops_{side}'] = flops
            result[f'mfu_{side}'] = flops / result[f'{side}_s'] / peak
            result[f'profile_{side}'] = profile_step(step)
    return result


def comparison_arguments(parser, sizes: List[str], default_size: str):
    """The options every paired comparison tool takes: ``--sizes``, ``--dtypes``, ``--pairs``, ``--profile``,
    ``--out``."""
    parser.add_argument('--sizes', nargs='+', default=[default_size], choices=sizes)
    parser.add_argument('--dtypes', nargs='+', default=list(DTYPES), choices=list(DTYPES))
    parser.add_argument('--pairs', type=int, default=7, help='timed pairs of steps per size and dtype')
    parser.add_argument('--profile', action='store_true', help='also break both steps down and give their MFU')
    parser.add_argument('--out', help='JSON file')
    return parser


def run_comparisons(args, build: Callable[[str, str], StepPair], model: str, reference: str) -> list:
    """:func:`compare_steps` of ``build(size, dtype)`` for every size and dtype of ``args``; prints a Markdown table
    row by row (``model`` is formatted with the size, e.g. 'DiT-{size}/2'), then with ``--profile`` a breakdown
    table per row, and writes the results to ``args.out`` as JSON."""
    print(f'| model | dtype | batch | params lmdkit / {reference} | lmdkit s/step | {reference} s/step | '
          f'{reference} / lmdkit (median of pairs) | interval of the median (coverage) |'
          '\n|---|---|---|---|---|---|---|---|', flush=True)  # fmt: skip
    results = []
    for size in args.sizes:
        for dtype in args.dtypes:
            torch.manual_seed(0)
            r = dict(size=size, dtype=dtype, **compare_steps(build(size, dtype), dtype, args.pairs,
                                                             profile=args.profile))  # fmt: skip
            results.append(r)
            print(f"| {model.format(size=size)} | {dtype} | {r['batch']} | {r['params_ours'] / 1e6:.1f} M / "
                  f"{r['params_reference'] / 1e6:.1f} M | {r['ours_s']:.4f} | {r['reference_s']:.4f} | "
                  f"{r['ratio']:.2f} | {r['ratio_low']:.2f}–{r['ratio_high']:.2f} "
                  f"({100 * r['ratio_coverage']:.0f} %) |", flush=True)  # fmt: skip
    for r in results if args.profile else ():
        print(f"\n{model.format(size=r['size'])}, {r['dtype']}: seconds per profiled step (share of it); MFU "
              f"against the measured {r['dtype']} matmul peak of {r['matmul_peak'] / 1e9:.0f} GFLOP/s: lmdkit "
              f"{100 * r['mfu_ours']:.1f} %, {reference} {100 * r['mfu_reference']:.1f} %\n")  # fmt: skip
        print(breakdown_table({'lmdkit': r['profile_ours'], reference: r['profile_reference']}), flush=True)
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(results, f, indent=2)
    return results


__all__: List[str] = ['StepPair', 'compare_steps', 'comparison_arguments', 'run_comparisons']
