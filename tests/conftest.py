"""Shared fixtures: registration, a tiny LMD config that trains in seconds, small image files."""

import os.path as osp

import pytest
import torch
from mmengine.config import Config

from lmdkit.utils import register_all_modules

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
QUICK_START = osp.join(ROOT, 'configs', 'lmd', 'lmd_vitp_fmnist-mini_cos.py')
FIXTURES = osp.join(osp.dirname(osp.abspath(__file__)), 'fixtures')

register_all_modules()
torch.set_num_threads(2)
torch.set_flush_denormal(True)  # as tools/train.py does: denormals make CPU kernels very slow


def tiny_lmd_model(**overrides) -> dict:
    """An LMD model dict small enough for unit tests: 16x16 single-channel inputs, patch 4 -> 16 tokens."""
    model = dict(
        type='LMD',
        data_preprocessor=dict(type='ImgDataPreprocessor', mean=[127.5], std=[127.5]),
        projector=dict(type='IdentityProjector', in_channels=1),
        backbone=dict(type='MAEViT', img_size=16, patch_size=4, in_channels=1, embed_dim=32, depth=2, num_heads=2),
        neck=dict(
            type='MAEPretrainDecoder',
            grid_size=4,
            patch_size=4,
            out_channels=1,
            in_dim=32,
            embed_dim=16,
            depth=1,
            num_heads=2,
        ),
        mask_scheduler=dict(type='CosineMaskScheduler'),
    )
    model.update(overrides)
    return model


def tiny_runner_cfg(work_dir: str, max_iters: int = 8, **cfg_options) -> Config:
    """The quick-start config shrunk to a tiny model, 16 px images, batch 8 and ``max_iters`` iterations."""
    cfg = Config.fromfile(QUICK_START)
    cfg.work_dir = str(work_dir)
    cfg.model = Config(dict(model=tiny_lmd_model())).model
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.pipeline[0].scale = (16, 16)
    cfg.train_dataloader.batch_size = 8
    cfg.val_dataloader.batch_size = cfg.test_dataloader.batch_size = 100
    cfg.val_dataloader.dataset.indices = cfg.test_dataloader.dataset.indices = 100
    cfg.train_cfg.max_iters = cfg.train_cfg.val_interval = max_iters
    cfg.param_scheduler = [dict(type='CosineAnnealingLR', by_epoch=False, begin=0, end=max_iters, eta_min=1e-5)]
    cfg.default_hooks.checkpoint.interval = max(1, max_iters // 2)
    cfg.default_hooks.logger.interval = 1
    cfg.custom_hooks[-1].num_images = 4
    cfg.log_level = 'WARNING'
    cfg.merge_from_dict(cfg_options)
    return cfg


@pytest.fixture
def images_uint8() -> torch.Tensor:
    """Eight real 16x16 Fashion-MNIST images (uint8, (8, 1, 16, 16)) from the embedded set."""
    import numpy as np

    from lmdkit.datasets.fashion_mnist import EMBEDDED_FILE

    with np.load(EMBEDDED_FILE) as data:
        imgs = torch.from_numpy(data['train_images'][::200][:8].copy())  # one or two per class
    imgs = torch.nn.functional.interpolate(imgs[:, None].float(), size=(16, 16), mode='area')
    return imgs.round().to(torch.uint8)
