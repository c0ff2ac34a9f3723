"""fully_shard_model: trainable parameters become FSDP2 shards, frozen ones (a projector's VAE) stay whole."""

import os

import pytest
import torch
import torch.distributed as dist
import torch.nn as nn

from lmdkit.engine.fsdp2_strategy import fully_shard_model


class Block(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(8, 8)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.fc(x))


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.projector = nn.Linear(4, 8).requires_grad_(False)  # frozen, like a VAE
        self.blocks = nn.Sequential(Block(), Block())
        self.head = nn.Linear(8, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.blocks(self.projector(x)))


@pytest.fixture
def one_rank_group(tmp_path):
    os.environ.setdefault('MASTER_ADDR', '127.0.0.1')
    dist.init_process_group('gloo', init_method=f'file://{tmp_path}/init', rank=0, world_size=1)
    yield
    dist.destroy_process_group()


def test_frozen_parameters_stay_whole_and_the_sharded_model_computes_the_same(one_rank_group):
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.tensor import DTensor

    torch.manual_seed(0)
    model, reference = Net(), Net()
    reference.load_state_dict(model.state_dict())
    units = fully_shard_model(model, init_device_mesh('cpu', (1,)), shard_modules=('Block',))
    assert units == 2
    assert not isinstance(model.projector.weight, DTensor) and not model.projector.weight.requires_grad
    assert all(isinstance(p, DTensor) for n, p in model.named_parameters() if not n.startswith('projector'))
    x = torch.randn(3, 4)
    model(x).square().sum().backward()
    reference(x).square().sum().backward()
    grads = {n: p.grad.full_tensor() for n, p in model.named_parameters() if p.requires_grad}
    for name, param in reference.named_parameters():
        if param.requires_grad:
            torch.testing.assert_close(grads[name], param.grad)
    assert model.projector.weight.grad is None


def test_with_a_param_dtype_frozen_parameters_are_sharded_and_cast_like_the_rest(one_rank_group):
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.tensor import DTensor

    model = Net()
    fully_shard_model(model, init_device_mesh('cpu', (1,)), shard_modules=('Block',), param_dtype='bfloat16')
    assert isinstance(model.projector.weight, DTensor)  # whole fp32 weights would meet the bf16-cast inputs
    out = model(torch.randn(3, 4))
    assert out.dtype == torch.bfloat16 and torch.isfinite(out.float()).all()
