"""The contracts the engine asks of models (``lmdkit.models.contracts``): which algorithm keeps which, and hooks that
name the contract a model lacks."""

from types import SimpleNamespace

import pytest
import torch

from lmdkit.engine.hooks import LatentPriorHook, MaskScheduleHook
from lmdkit.engine.optimizers.layer_decay_constructor import layer_decay_param_groups
from lmdkit.models.contracts import (
    LatentPriorFitter,
    LayerwiseEncoder,
    MaskedReconstructor,
    ProgressScheduled,
    Reconstructor,
    Sampler,
)
from lmdkit.registry import MODELS

from ..conftest import tiny_classifier_model, tiny_diffusion_model, tiny_lmd_model
from .test_autoencoder import tiny_autoencoder

CONTRACTS = (ProgressScheduled, Reconstructor, MaskedReconstructor, Sampler, LatentPriorFitter)


@pytest.mark.parametrize(
    'cfg, kept',
    [
        (tiny_lmd_model(), {ProgressScheduled, Reconstructor, MaskedReconstructor, Sampler, LatentPriorFitter}),
        (tiny_diffusion_model(), {ProgressScheduled, Sampler}),
        (tiny_autoencoder('vq'), {ProgressScheduled, Reconstructor}),  # told the step: no message-hub read
        (tiny_classifier_model(), set()),
    ],
    ids=['lmd', 'masked-diffusion', 'autoencoder', 'classifier'],
)
def test_each_algorithm_keeps_exactly_its_contracts(cfg, kept):
    model = MODELS.build(cfg)
    assert {c for c in CONTRACTS if isinstance(model, c)} == kept


def test_the_encoders_layerwise_decay_splits_are_a_contract():
    lmd = MODELS.build(tiny_lmd_model())
    assert isinstance(lmd.backbone, LayerwiseEncoder)
    with pytest.raises(ValueError, match='LayerwiseEncoder .* got Linear'):
        layer_decay_param_groups(SimpleNamespace(backbone=torch.nn.Linear(2, 2)), 1e-3, 0.05, 0.75)


def test_hooks_name_the_contract_a_model_lacks():
    runner = SimpleNamespace(model=torch.nn.Linear(2, 2))
    with pytest.raises(TypeError, match='ProgressScheduled'):
        MaskScheduleHook().before_train_iter(runner, 0)
    with pytest.raises(TypeError, match='LatentPriorFitter'):
        LatentPriorHook().before_train(runner)
