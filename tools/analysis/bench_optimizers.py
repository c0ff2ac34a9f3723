"""One optimiser step over a model's parameters: PyTorch's per-parameter loop, ``foreach`` and ``fused`` AdamW, and
timm's Adan (LMD's and MDT's optimiser) as a loop and ``foreach``; each variant timed in alternation with the loop.

    python tools/analysis/bench_optimizers.py [--model vit_base_patch16_224] [--pairs 7] [--device cpu] [--out FILE]

Why: on CPU PyTorch's AdamW defaults to the per-parameter loop (``foreach`` is the default on CUDA only), which was
9 % of a bf16 ViT-B MAE step; lmdkit's AdamW configs therefore ask for ``fused=True``. The parameters are a timm
model's (random weights) with random gradients; the table gives the median step time and the median over pairs of
loop / variant (above 1: faster than the loop).
"""

import argparse
import json
import os.path as osp
import sys
from typing import Callable, Dict

import timm
import torch
from timm.optim import Adan

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

from lmdkit.evaluation.flops import synchronize  # noqa: E402
from lmdkit.utils.paired_timing import paired_step_times  # noqa: E402

VARIANTS: Dict[str, Callable] = {
    'AdamW, loop': lambda ps: torch.optim.AdamW(ps, lr=1e-4, weight_decay=0.05, foreach=False),
    'AdamW, foreach': lambda ps: torch.optim.AdamW(ps, lr=1e-4, weight_decay=0.05, foreach=True),
    'AdamW, fused': lambda ps: torch.optim.AdamW(ps, lr=1e-4, weight_decay=0.05, fused=True),
    'Adan, loop': lambda ps: Adan(ps, lr=1e-4, weight_decay=0.05, foreach=False),
    'Adan, foreach': lambda ps: Adan(ps, lr=1e-4, weight_decay=0.05, foreach=True),
}


def main(argv=None) -> list:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--model', default='vit_base_patch16_224', help='a timm model name (random weights)')
    parser.add_argument('--pairs', type=int, default=7)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--out', help='JSON file')
    args = parser.parse_args(argv)
    torch.manual_seed(0)
    model = timm.create_model(args.model, pretrained=False).to(args.device)
    params = list(model.parameters())
    for p in params:
        p.grad = torch.randn_like(p)
    baseline = VARIANTS['AdamW, loop'](params)
    results = []
    print(f'{args.model}, {sum(p.numel() for p in params) / 1e6:.1f} M parameters, {args.device}\n\n'
          '| optimiser | s/step | loop AdamW / this (median of pairs) |\n|---|---|---|', flush=True)  # fmt: skip
    for name, build in VARIANTS.items():
        optimizer = build(params)
        sync = lambda: synchronize(args.device)  # noqa: E731
        timing = paired_step_times(baseline.step, optimizer.step, pairs=args.pairs, sync=sync)
        results.append(dict(optimizer=name, seconds=timing['b_median'], speedup=1 / timing['ratio'],
                            loop_seconds=timing['a_median']))  # fmt: skip
        print(f'| {name} | {timing["b_median"]:.4f} | {1 / timing["ratio"]:.2f} |', flush=True)
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(results, f, indent=2)
    return results


if __name__ == '__main__':
    main()
