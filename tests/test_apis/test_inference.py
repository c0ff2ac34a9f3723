"""init_model / reconstruct: a checkpoint reloaded through the API gives the trained model's outputs exactly."""

import os.path as osp
import uuid

import torch
from mmengine.runner import Runner

from lmdkit.apis import init_model, reconstruct

from ..conftest import ROOT, tiny_runner_cfg


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

    from ..conftest import QUICK_START

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


def test_an_exported_folder_loads_as_the_checkpoint_did(tmp_path, images_uint8):
    """tools/convert/export_pretrained.py: model.safetensors (EMA weights by default), config.py and a model card;
    init_model(FOLDER), load_from=FOLDER and tools/test.py read the folder."""
    import hashlib
    import json
    import os
    import subprocess
    import sys

    from mmengine.config import Config

    from lmdkit.apis.export import detach_weight_sources
    from lmdkit.engine.hooks import configure_checkpoint_load

    from ..conftest import ROOT

    cfg = tiny_runner_cfg(tmp_path / 'run', max_iters=4)
    cfg.custom_hooks = [*cfg.custom_hooks, dict(type='EMAHook', momentum=0.5)]
    cfg.experiment_name = f'export_{uuid.uuid4().hex[:6]}'
    Runner.from_cfg(cfg).train()
    ckpt = str(tmp_path / 'run' / 'iter_4.pth')
    cfg.dump(str(tmp_path / 'run.py'))
    env = dict(os.environ, PYTHONPATH=ROOT)
    out = subprocess.run([sys.executable, 'tools/convert/export_pretrained.py', str(tmp_path / 'run.py'), ckpt,
                          str(tmp_path / 'model')], cwd=ROOT, env=env, capture_output=True, text=True)  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
    assert 'ema weights' in out.stdout
    folder = str(tmp_path / 'model')
    exported, direct = init_model(folder), init_model(str(tmp_path / 'run.py'), ckpt, ema=True)
    assert exported.ema_loaded and direct.ema_loaded
    for key, value in direct.state_dict().items():
        assert torch.equal(exported.state_dict()[key], value), key
    a = reconstruct(exported, images_uint8, 0.75, seed=1)['reconstruction']
    assert torch.equal(a, reconstruct(direct, images_uint8, 0.75, seed=1)['reconstruction'])
    # the card: what it is, what was measured, the weights' hash; the config runs as it is
    card = open(os.path.join(folder, 'README.md')).read()
    digest = hashlib.sha256(open(os.path.join(folder, 'model.safetensors'), 'rb').read()).hexdigest()
    summary = json.load(open(tmp_path / 'run' / 'summary.json'))
    assert f'sha256 `{digest}`' in card and '(iteration 4)' in card and 'ema weights' in card
    assert f'| final training loss | {summary["final_loss"]:.5g} |' in card
    assert "init_model('PATH/TO/THIS/FOLDER')" in card
    assert '_base_' not in open(os.path.join(folder, 'config.py')).read()
    assert Config.fromfile(os.path.join(folder, 'config.py')).model.type == 'LMD'
    # a run starting from the folder loads it strictly through MMEngine's loader
    test_cfg = tiny_runner_cfg(tmp_path / 'eval', max_iters=4)
    test_cfg.load_from = folder
    configure_checkpoint_load(test_cfg)
    test_cfg.experiment_name = f'export_test_{uuid.uuid4().hex[:6]}'
    runner = Runner.from_cfg(test_cfg)
    assert 'recon/mse' in runner.test()
    for key, value in direct.state_dict().items():
        assert torch.equal(runner.model.state_dict()[key], value), key
    # weight sources are dropped from the exported config: their values are in the weights
    model = dict(projector=dict(type='AutoencoderKLProjector', checkpoint='vae/'),
                 backbone=dict(type='MAEViT', init_cfg=dict(type='PretrainedEncoder', checkpoint='p.pth')))  # fmt: skip
    assert detach_weight_sources(model) == ['model.projector.checkpoint', 'model.backbone.init_cfg']
    assert model['projector']['checkpoint'] is None and model['backbone']['init_cfg'] is None


def test_every_program_loads_a_config_the_same_way():
    from lmdkit.apis import load_program_config

    cfg = load_program_config(osp.join(ROOT, 'configs/lmd/lmd_vitp_vqf4-fmnist-cache_cos.py'), {'randomness.seed': 7})
    dataset = cfg.train_dataloader.dataset
    assert dataset.type == 'LatentCacheDataset' and dataset.projector == cfg.model.projector and dataset.seed == 7
