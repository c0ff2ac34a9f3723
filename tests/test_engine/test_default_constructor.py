"""lmdkit's DefaultOptimWrapperConstructor: MMEngine's groups, as plain dicts that torch.compile can trace."""

import pytest
import torch
import torch.nn as nn
from mmengine.config import ConfigDict
from mmengine.optim import DefaultOptimWrapperConstructor as MMEngineDefault
from mmengine.optim import build_optim_wrapper

from lmdkit.engine.optimizers import DefaultOptimWrapperConstructor
from lmdkit.registry import MODELS

from ..conftest import tiny_classifier_model

PARAMWISE = dict(norm_decay_mult=0.0, bias_decay_mult=0.0, custom_keys={'pos': dict(decay_mult=0.0)})


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.pos = nn.Parameter(torch.zeros(1, 8))
        self.fc = nn.Linear(8, 8)
        self.norm = nn.LayerNorm(8)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(self.fc(x + self.pos))


@pytest.mark.parametrize('constructor', [None, 'LayerDecayOptimWrapperConstructor', 'MultiOptimWrapperConstructor'])
def test_configs_get_plain_param_groups(constructor):
    model = MODELS.build(tiny_classifier_model()) if constructor == 'LayerDecayOptimWrapperConstructor' else Net()
    optimizer = dict(type='AdamW', lr=1e-3, weight_decay=0.05)
    if constructor == 'MultiOptimWrapperConstructor':
        cfg = ConfigDict(constructor=constructor, fc=dict(optimizer=optimizer, paramwise_cfg=PARAMWISE),
                         norm=dict(optimizer=optimizer))  # fmt: skip
    elif constructor:
        cfg = ConfigDict(optimizer=optimizer, constructor=constructor, paramwise_cfg=dict(layer_decay_rate=0.65))
    else:
        cfg = ConfigDict(optimizer=optimizer, paramwise_cfg=PARAMWISE)
    wrapper = build_optim_wrapper(model, cfg)  # lmdkit's default scope: our constructor under MMEngine's name
    optimizers = (
        [w.optimizer for w in wrapper.values()]
        if constructor == 'MultiOptimWrapperConstructor'
        else [wrapper.optimizer]
    )
    assert all(type(g) is dict for opt in optimizers for g in opt.param_groups)


def test_same_groups_as_mmengine_and_a_compiled_step_traces_them():
    torch.manual_seed(0)
    model = Net()
    cfg = ConfigDict(optimizer=dict(type='Adan', lr=1e-3, weight_decay=0.05))  # as configs hand it over
    ours = DefaultOptimWrapperConstructor(cfg, PARAMWISE)(model).optimizer
    theirs = MMEngineDefault(cfg, PARAMWISE)(model).optimizer
    assert type(theirs.param_groups[0]) is ConfigDict  # the groups torch.compile cannot trace
    assert [{k: v for k, v in g.items() if k != 'params'} for g in ours.param_groups] == [
        {k: v for k, v in g.items() if k != 'params'} for g in theirs.param_groups
    ]

    @torch.compile(backend='eager')  # Dynamo's tracing is what failed; no code generation needed
    def step(x):
        loss = model(x).square().mean()
        loss.backward()
        ours.step()
        ours.zero_grad()
        return loss

    before = model.fc.weight.detach().clone()
    step(torch.randn(4, 8))
    assert not torch.equal(before, model.fc.weight)
