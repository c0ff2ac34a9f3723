"""The paired comparisons against reference code (tools/analysis/compare_*.py) at tiny sizes."""

import importlib.util
import os.path as osp

import pytest
import torch

from ..conftest import ROOT


def load(name: str):
    spec = importlib.util.spec_from_file_location(name, osp.join(ROOT, 'tools', 'analysis', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_dit_against_diffusers_runs_both_steps_and_trains(tmp_path):
    tool = load('compare_diffusers_dit')
    results = tool.main(['--sizes', 'tiny', '--dtypes', 'float32', 'bfloat16', '--pairs', '1', '--out',
                         str(tmp_path / 'r.json')])  # fmt: skip
    assert [r['dtype'] for r in results] == ['float32', 'bfloat16']
    for r in results:
        assert r['ours_s'] > 0 and r['reference_s'] > 0 and r['ratio'] > 0
        assert r['ratio_low'] == r['ratio'] == r['ratio_high'] and r['ratio_coverage'] == 0  # one pair: no interval
        assert r['params_reference'] > r['params_ours']  # diffusers: an embedder per block
    # the shared step really trains both networks: the loss on a fixed batch falls
    torch.manual_seed(0)
    x0, y = torch.randn(4, 4, 8, 8), torch.randint(0, 1000, (4,))
    for model, predict in ((tool.ours('tiny'), lambda m, x, t, y: m(x, t, y)),
                           (tool.diffusers_dit('tiny'),
                            lambda m, x, t, y: m(hidden_states=x, timestep=t, class_labels=y).sample)):  # fmt: skip
        step = tool.make_step(model, predict, x0, y, 'float32')
        losses = [float(step()) for _ in range(30)]
        assert sum(losses[-5:]) < sum(losses[:5])


def test_mae_against_transformers_pairs_the_steps():
    tool = load('compare_hf_mae')
    (result,) = tool.main(['--sizes', 'tiny', '--dtypes', 'bfloat16', '--pairs', '1'])
    assert result['params_ours'] == result['params_reference'] and result['ratio'] > 0  # the same network
    torch.manual_seed(0)
    x = torch.randn(4, 1, 32, 32)
    steps = [tool.make_step(tool.ours('tiny'), lambda m, x: m(x, mode='loss')['loss'], x, 'float32'),
             tool.make_step(tool.hf('tiny'), lambda m, x: m(pixel_values=x).loss, x, 'float32')]  # fmt: skip
    for step in steps:
        losses = [float(step()) for _ in range(20)]
        assert sum(losses[-3:]) < sum(losses[:3])


def test_official_mdt_comparison_names_a_wrong_checkout(tmp_path):
    tool = load('compare_official_mdt')
    with pytest.raises(SystemExit, match='masked_diffusion/models.py'):
        tool.main(['--mdt-repo', str(tmp_path)])
    # our side of the comparison: a full and a masked pass whose summed loss trains
    torch.manual_seed(0)
    x0, y = torch.randn(4, 4, 8, 8), torch.randint(0, 1000, (4,))
    step = tool.make_step(tool.ours('tiny'), lambda m, x, t, y: m(x, t, y),
                          lambda m, x, t, y: m(x, t, y, mask_ratio=0.4), x0, y, 'float32')  # fmt: skip
    losses = [float(step()) for _ in range(30)]
    assert sum(losses[-5:]) < sum(losses[:5])


def test_both_mdt_sides_mask_the_same_share_step_by_step():
    """The k-th masked pass of each side gets the same ratio, in [0.3, 0.5], however the sides interleave."""
    tool = load('compare_official_mdt')
    ratios = tool.SharedMaskRatios()
    ours = [ratios.next('ours') for _ in range(3)]
    official = [ratios.next('official') for _ in range(5)]
    ours += [ratios.next('ours') for _ in range(2)]
    assert ours == official and len(set(ours)) == 5
    assert all(0.3 <= r <= 0.5 for r in ours)
