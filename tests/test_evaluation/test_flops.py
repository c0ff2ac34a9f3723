"""FLOP counting counts CPU attention (torch 2.14 has no formula for its CPU SDPA kernels)."""

import torch
import torch.nn.functional as F

from lmdkit.evaluation.flops import count_flops


def test_cpu_attention_flops_are_counted():
    b, h, length, e = 2, 3, 16, 8
    q, k, v = (torch.randn(b, h, length, e, requires_grad=True) for _ in range(3))
    forward = count_flops(lambda: F.scaled_dot_product_attention(q, k, v))
    assert forward == 2 * (2 * b * h * length * length * e)  # q kᵀ and attn·v, 2 FLOPs per multiply-add
    both = count_flops(lambda: F.scaled_dot_product_attention(q, k, v).sum().backward())
    assert both >= 3 * forward  # backward: four matmuls of the same size plus the forward's two


def test_linear_flops():
    x, w = torch.randn(4, 5), torch.randn(6, 5)
    assert count_flops(lambda: F.linear(x, w)) == 2 * 4 * 5 * 6
