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


def test_init_model_reads_emahook_checkpoints_the_right_way_round(tmp_path):
    """MMEngine's EMAHook saves the EMA weights as ``state_dict`` and the raw ones as ``ema_state_dict``."""
    import torch

    from lmdkit.apis import init_model

    from .conftest import QUICK_START

    model = init_model(QUICK_START)
    raw = model.state_dict()
    ema = {k: v + 1 if v.is_floating_point() else v for k, v in raw.items()}
    swapped = {f'module.{k}': v for k, v in raw.items()}
    swapped['steps'] = torch.tensor(10)
    torch.save(dict(state_dict=ema, ema_state_dict=swapped, meta={}), tmp_path / 'ckpt.pth')
    with_ema = init_model(QUICK_START, str(tmp_path / 'ckpt.pth'), ema=True)
    without = init_model(QUICK_START, str(tmp_path / 'ckpt.pth'), ema=False)
    assert with_ema.ema_loaded and not without.ema_loaded
    key = 'backbone.patch_embed.proj.weight'
    assert torch.equal(with_ema.state_dict()[key], ema[key]) and torch.equal(without.state_dict()[key], raw[key])
