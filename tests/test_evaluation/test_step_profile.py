"""Step breakdowns: ops summed into categories, the optimiser's ops counted as its own, the table."""

import torch

from lmdkit.evaluation.step_comparison import StepPair, compare_steps
from lmdkit.evaluation.step_profile import CATEGORIES, OPTIMISER, OTHER, _category, breakdown_table, profile_step


def _linear_step(width: int = 64):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(width, width), torch.nn.GELU(), torch.nn.LayerNorm(width))
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, foreach=False)
    x = torch.randn(32, width)

    def step():
        loss = model(x).square().mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss.detach()

    return model, step


def test_ops_fall_into_their_categories():
    assert _category('aten::mm') == _category('aten::addmm') == 'matmul'
    assert _category('aten::gelu_backward') == 'activations'
    assert _category('aten::native_layer_norm') == 'normalisation'
    assert _category('aten::copy_') == 'casts and copies'
    assert _category('aten::_softmax') == 'attention'
    assert _category('aten::mul') == OTHER
    names = [op for ops in CATEGORIES.values() for op in ops]
    assert len(names) == len(set(names)), 'an op in two categories'


def test_profile_splits_a_step_and_gives_the_optimiser_its_own_ops():
    _, step = _linear_step()
    profile = profile_step(step, steps=2, warmup=1)
    parts = profile['parts']
    for category in ('matmul', 'activations', 'normalisation', OPTIMISER):
        assert parts[category] > 0, category
    assert sum(parts.values()) <= profile['total_s']
    # AdamW's element-wise update runs inside Optimizer.step: the optimiser's, never the model's element-wise part
    top = {name: category for name, _, category in profile['top']}
    assert top.get('aten::addcdiv_', OPTIMISER) == OPTIMISER and top.get('aten::lerp_', OPTIMISER) == OPTIMISER
    assert [s for _, s, _ in profile['top']] == sorted((s for _, s, _ in profile['top']), reverse=True)
    table = breakdown_table({'a': profile, 'b': profile}).splitlines()
    assert table[0] == '| part | a | b |' and len(table) == 2 + len(CATEGORIES) + 2 + 2
    assert table[-1].startswith('| whole step (profiled) |')


def test_compare_steps_times_profiles_and_counts_flops():
    a, step_a = _linear_step(64)
    b, step_b = _linear_step(128)
    result = compare_steps(StepPair(a, b, step_a, step_b, batch=32), 'float32', pairs=3, warmup=1, profile=True)
    assert result['params_ours'] == 64 * 64 + 64 + 2 * 64 and result['params_reference'] == 128 * 128 + 128 + 2 * 128
    assert len(result['ratios']) == 3 and result['ratio'] > 0
    # one (32 x w) @ (w x w) linear on an input without gradient: forward and weight gradient, 2·32·w·w FLOPs each
    assert result['flops_ours'] == 2 * 2 * 32 * 64 * 64 and result['flops_reference'] == 2 * 2 * 32 * 128 * 128
    assert result['mfu_ours'] == result['flops_ours'] / result['ours_s'] / result['matmul_peak']
    assert result['profile_ours']['parts']['matmul'] > 0 and result['profile_reference']['parts'][OPTIMISER] > 0
