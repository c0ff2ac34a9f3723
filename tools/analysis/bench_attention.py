"""Forward + backward time of one attention call: the fused ``F.scaled_dot_product_attention`` kernel vs two
batched matmuls, per dtype and sequence length, on one device. Justifies ``dot_product_attention``'s dispatch.
With ``--bias-grad`` every call adds a learned (1, heads, N, N) bias, as MDT's relative-position attention does,
and its gradient is computed too. Each path's calls alternate with the fused kernel's in one process
(``paired_step_times``, ``--repeat`` pairs): the table gives each path's median time and the median of the per-pair
ratios fused / path (above 1: faster than the fused kernel).

    python tools/analysis/bench_attention.py [--batch 128 --heads 4 --dim 48 --tokens 16 64 196 --device cpu]
        [--bias-grad] [--repeat 7]
"""

import argparse
import json
import os.path as osp
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

from lmdkit.models.layers import dot_product_attention  # noqa: E402
from lmdkit.utils.paired_timing import paired_step_times  # noqa: E402


def matmul_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, bias=None) -> torch.Tensor:
    scores = (q * q.shape[-1] ** -0.5) @ k.transpose(-2, -1)
    return (scores if bias is None else scores + bias).softmax(-1) @ v


def fused_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, bias=None) -> torch.Tensor:
    return F.scaled_dot_product_attention(q, k, v, attn_mask=bias)


def paired_ms(fn, q, k, v, bias, pairs: int, device: str) -> dict:
    """The fused kernel's forward + backward against ``fn``'s, alternated: medians in ms and fused / fn."""

    def step(f):
        return lambda: f(q, k, v, bias).sum().backward()

    sync = torch.cuda.synchronize if device.startswith('cuda') else (lambda: None)
    t = paired_step_times(step(fused_attention), step(fn), pairs=pairs, warmup=1, sync=sync)
    return dict(fused_ms=1e3 * t['a_median'], ms=1e3 * t['b_median'], fused_over=1 / t['ratio'])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--batch', type=int, default=128)
    parser.add_argument('--heads', type=int, default=4)
    parser.add_argument('--dim', type=int, default=48, help='per-head width')
    parser.add_argument('--tokens', type=int, nargs='+', default=[16, 64, 196])
    parser.add_argument('--dtypes', nargs='+', default=['float32', 'bfloat16'])
    parser.add_argument('--repeat', type=int, default=7, help='timed pairs per path')
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--bias-grad', action='store_true', help='add a learned bias and compute its gradient')
    parser.add_argument('--out', help='JSON file')
    args = parser.parse_args()
    rows = []
    print(
        '| dtype | tokens | fused SDPA ms | matmuls ms | dot_product_attention ms | fused / matmuls | '
        'fused / dot_product_attention |\n|---|---|---|---|---|---|---|'
    )
    for dtype in args.dtypes:
        for n in args.tokens:
            q, k, v = (torch.randn(args.batch, args.heads, n, args.dim, device=args.device,
                                   dtype=getattr(torch, dtype), requires_grad=True) for _ in range(3))  # fmt: skip
            bias = (torch.randn(1, args.heads, n, n, device=args.device, dtype=getattr(torch, dtype),
                                requires_grad=True) if args.bias_grad else None)  # fmt: skip
            row = dict(dtype=dtype, tokens=n, device=args.device, bias_grad=args.bias_grad)
            for name, fn in (('matmul', matmul_attention), ('dispatch', dot_product_attention)):
                t = paired_ms(fn, q, k, v, bias, args.repeat, args.device)
                row.setdefault('fused_ms', t['fused_ms'])  # from the first pairing
                row[f'{name}_ms'], row[f'fused_over_{name}'] = t['ms'], t['fused_over']
            rows.append(row)
            print(
                f'| {dtype} | {n} | {row["fused_ms"]:.1f} | {row["matmul_ms"]:.1f} | {row["dispatch_ms"]:.1f} | '
                f'{row["fused_over_matmul"]:.2f} | {row["fused_over_dispatch"]:.2f} |'
            )
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(rows, f, indent=1)


if __name__ == '__main__':
    main()
