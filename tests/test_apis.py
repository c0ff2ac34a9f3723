"""init_model / reconstruct: a checkpoint reloaded through the API gives the trained model's outputs exactly."""

import uuid

import torch
from mmengine.runner import Runner

from lmdkit.apis import init_model, reconstruct

from .conftest import tiny_runner_cfg


def test_reloaded_checkpoint_reproduces_outputs(tmp_path, images_uint8):
    cfg = tiny_runner_cfg(tmp_path, max_iters=4)
    cfg.experiment_name = f'api_{uuid.uuid4().hex[:8]}'
    runner = Runner.from_cfg(cfg)
    runner.train()
    trained = runner.model.eval()
    cfg_path = str(tmp_path / 'cfg.py')
    cfg.dump(cfg_path)
    model = init_model(cfg_path, str(tmp_path / 'iter_4.pth'), device='cpu')
    inputs = model.data_preprocessor(dict(inputs=images_uint8), False)['inputs']
    torch.testing.assert_close(model(inputs, mode='tensor'), trained(inputs, mode='tensor'), rtol=0, atol=0)
    a, b = reconstruct(model, images_uint8, 0.75, seed=3), reconstruct(trained, images_uint8, 0.75, seed=3)
    for key in a:
        assert torch.equal(a[key], b[key]), key
    assert a['reconstruction'].dtype == torch.uint8 and a['reconstruction'].shape == (8, 1, 16, 16)
    assert a['mask'].float().mean().item() == 0.75
    # numpy HWC input works too
    c = reconstruct(model, images_uint8.permute(0, 2, 3, 1).numpy(), 0.75, seed=3)
    assert torch.equal(c['reconstruction'], a['reconstruction'])
