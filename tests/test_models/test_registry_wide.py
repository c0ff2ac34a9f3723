"""One parametrised test over every registered backbone, neck, head, projector, discriminator and algorithm (timm's
registry-wide test): each component gives its own tiny example (``example()``: a config and an objective,
``lmdkit.models.example``); the test builds it, runs forward and backward, and checks finite values and a gradient
for every trainable parameter the objective uses. Nothing here names a component.

A component without ``example()`` fails ``test_every_component_gives_its_example``, so a new component is covered
the moment it is registered. Parameters that legitimately get no gradient are declared on the class as
``no_grad_params`` (none so far), not here.
"""

import pytest
import torch

from lmdkit.models.contracts import Exemplified
from lmdkit.registry import MODELS

COVERED_PACKAGES = (
    'lmdkit.models.backbones',
    'lmdkit.models.necks',
    'lmdkit.models.algorithms',
    'lmdkit.models.discriminators',
    'lmdkit.models.projectors',
    'lmdkit.models.heads',
)


def registered_components():
    return sorted(name for name, cls in MODELS.module_dict.items() if cls.__module__.startswith(COVERED_PACKAGES))


def test_every_component_gives_its_example():
    missing = [name for name in registered_components() if not isinstance(MODELS.get(name), Exemplified)]
    assert not missing, f'give {missing} an example() classmethod (lmdkit.models.example.ComponentExample)'
    for name in registered_components():
        assert MODELS.get(name).example().cfg['type'] == name  # the example builds this component, not another


@pytest.mark.parametrize('name', registered_components())
def test_forward_backward_grads(name):
    example = MODELS.get(name).example()
    torch.manual_seed(0)
    model = MODELS.build(example.cfg)
    model.train()
    loss = example.objective(model)
    assert loss.ndim == 0 and torch.isfinite(loss), f'{name}: non-finite or non-scalar objective {loss}'
    if not list(model.parameters()):  # parameter-free components (IdentityProjector): forward only
        return
    loss.backward()
    exempt = set(getattr(type(model), 'no_grad_params', ()))
    for pname, p in model.named_parameters():
        if not p.requires_grad or pname in exempt:
            continue
        assert p.grad is not None, f'{name}: parameter {pname} received no gradient'
        assert torch.isfinite(p.grad).all(), f'{name}: non-finite gradient in {pname}'
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in model.parameters())
