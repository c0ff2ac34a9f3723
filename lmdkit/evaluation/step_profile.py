"""Where a training step spends its time: torch.profiler's self CPU time of every op, summed into categories.

The categories are what one can act on: the matmuls (the useful work), attention, casts and layout copies,
normalisation, activations, the optimiser's update and the element-wise rest. An op run inside the optimiser's
``step`` counts as the optimiser's, whatever it is. Device-agnostic in use, but it reads CPU time only: on a GPU
the kernels' time is not in it.
"""

from collections import defaultdict
from typing import Callable, Dict, List, Tuple

import torch

#: category -> aten op names (without the ``aten::`` prefix) whose self time it collects; the first match wins.
CATEGORIES: Dict[str, Tuple[str, ...]] = {
    'matmul': ('mm', 'addmm', 'bmm', 'baddbmm', 'matmul', 'linear', 'addmv', 'mv', 'dot', 'convolution',
               '_convolution', 'mkldnn_convolution', 'convolution_backward', 'mkldnn_linear', '_mkldnn_linear'),
    'attention': ('_scaled_dot_product_flash_attention_for_cpu',
                  '_scaled_dot_product_flash_attention_for_cpu_backward', '_softmax', '_softmax_backward_data',
                  '_safe_softmax'),
    'casts and copies': ('copy_', '_to_copy', 'clone', 'contiguous', 'to', '_unsafe_view', 'cat', 'index_select',
                         'gather', 'scatter', 'index', 'index_put_', 'empty_like', 'fill_', 'zero_', 'zeros_like',
                         'stack', 'as_strided_scatter'),
    'normalisation': ('native_layer_norm', 'native_layer_norm_backward', 'native_group_norm',
                      'native_group_norm_backward', 'rms_norm', '_fused_rms_norm', '_fused_rms_norm_backward'),
    'activations': ('gelu', 'gelu_backward', 'silu', 'silu_backward', 'sigmoid', 'sigmoid_backward', 'tanh',
                    'tanh_backward'),
}  # fmt: skip
OPTIMISER = 'optimiser'
OTHER = 'element-wise and other'


def _category(name: str) -> str:
    op = name.split('::', 1)[-1]
    for category, ops in CATEGORIES.items():
        if op in ops:
            return category
    return OTHER


def _in_optimiser(event) -> bool:
    while event is not None:
        if event.name.startswith('Optimizer.step') or event.name.startswith('Optimizer.zero_grad'):
            return True
        event = event.cpu_parent
    return False


def profile_step(step: Callable[[], object], steps: int = 2, warmup: int = 1) -> Dict[str, object]:
    """Run ``warmup`` unprofiled steps, then profile ``steps``; per step: seconds in each category (``parts``), the
    profiled wall time (``total_s``) and the ops with most self time (``top``: name, seconds, category)."""
    for _ in range(warmup):
        step()
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
        for _ in range(steps):
            with torch.profiler.record_function('lmdkit::profiled_step'):
                step()
    events = prof.events()
    parts: Dict[str, float] = defaultdict(float)
    per_op: Dict[Tuple[str, str], float] = defaultdict(float)
    total_us = 0.0
    for event in events:
        if event.name == 'lmdkit::profiled_step':
            total_us += event.cpu_time_total
            continue
        if not event.name.startswith('aten::') or event.self_cpu_time_total <= 0:
            continue
        category = OPTIMISER if _in_optimiser(event) else _category(event.name)
        parts[category] += event.self_cpu_time_total
        per_op[(event.name, category)] += event.self_cpu_time_total
    top = sorted(per_op.items(), key=lambda kv: -kv[1])[:15]
    return dict(
        total_s=total_us / steps / 1e6,
        parts={k: v / steps / 1e6 for k, v in sorted(parts.items(), key=lambda kv: -kv[1])},
        top=[(name, us / steps / 1e6, category) for (name, category), us in top],
    )


def breakdown_table(profiles: Dict[str, Dict[str, object]]) -> str:
    """A Markdown table of categories (rows) by profiled step (columns): seconds per step and share of the step."""
    categories: List[str] = list(CATEGORIES) + [OPTIMISER, OTHER]
    names = list(profiles)
    lines = ['| part | ' + ' | '.join(names) + ' |', '|---|' + '---|' * len(names)]
    for category in categories:
        cells = []
        for name in names:
            p = profiles[name]
            s = p['parts'].get(category, 0.0)
            cells.append(f'{s:.3f} s ({100 * s / p["total_s"]:.1f} %)')
        lines.append(f'| {category} | ' + ' | '.join(cells) + ' |')
    cells = []
    for name in names:
        rest = profiles[name]['total_s'] - sum(profiles[name]['parts'].values())
        cells.append(f'{rest:.3f} s ({100 * rest / profiles[name]["total_s"]:.1f} %)')
    lines.append('| outside aten ops (Python, autograd, profiler) | ' + ' | '.join(cells) + ' |')
    lines.append('| whole step (profiled) | ' + ' | '.join(f'{profiles[n]["total_s"]:.3f} s' for n in names) + ' |')
    return '\n'.join(lines)
