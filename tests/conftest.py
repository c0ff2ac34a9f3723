"""Shared fixtures: registration, a tiny LMD config that trains in seconds, small image files."""

import importlib
import os
import os.path as osp
from typing import Optional

import pytest
import torch
from mmengine.config import Config

from lmdkit.apis import register_all_modules
from lmdkit.apis.train import add_training_hooks
from lmdkit.registry import MODELS


def require(module: str):
    """Import the reference package of an equality test. On a developer machine without it the test is skipped and
    says why; under CI (``CI`` set, as ``.ci/run`` does) it fails, since ``tools/run_tests.sh`` installs every
    reference package and a skipped reference test would pass without testing anything."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        if os.environ.get('CI'):
            pytest.fail(f'reference package {module!r} is missing in CI ({e}): tools/run_tests.sh must install it')
        pytest.skip(f'reference package {module!r} not installed ({e}): pip install -e ".[tests]" and '
                    '-r requirements/tests-nodeps.txt')  # fmt: skip


ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
QUICK_START = osp.join(ROOT, 'configs', 'lmd', 'lmd_vitp_fmnist-mini_cos.py')
FIXTURES = osp.join(osp.dirname(osp.abspath(__file__)), 'fixtures')

register_all_modules()
torch.set_num_threads(2)
torch.set_flush_denormal(True)  # as tools/train.py does: denormals make CPU kernels very slow


def tiny_lmd_model(**overrides) -> dict:
    """An LMD model dict small enough for unit tests: LMD's own example (16x16 single-channel inputs, patch 4 -> 16
    tokens), with ``overrides``."""
    return dict(MODELS.get('LMD').example().cfg, **overrides)


def tiny_classifier_model(**overrides) -> dict:
    """An ImageClassifier dict matching ``tiny_lmd_model``'s encoder (so its checkpoints load), 10 classes, with the
    fine-tuning recipe's batch augmentations (mixup/cutmix + label smoothing, random erasing): its own example."""
    return dict(MODELS.get('ImageClassifier').example().cfg, **overrides)


def tiny_mdt_denoiser(version: int = 2, **overrides) -> dict:
    """A tiny MDT on 8x8 single-channel inputs with patch 2 (16 tokens): 4 blocks, 1 of them decoder (its example)."""
    return dict(MODELS.get('MDT').example().cfg, version=version, **overrides)


def tiny_diffusion_model(**overrides) -> dict:
    """A class-conditional pixel-space DiT small enough for unit tests: 8x8 single-channel inputs, patch 2 (DiT's
    example as the denoiser)."""
    model = dict(
        type='MaskedDiffusion',
        data_preprocessor=dict(type='ImageOrLatentPreprocessor', mean=[127.5], std=[127.5]),
        projector=dict(type='IdentityProjector', in_channels=1),
        denoiser=MODELS.get('DiT').example().cfg,
        diffusion=dict(schedule='linear', num_steps=100, target='eps'),
        sampling=dict(sampler='ddim', steps=5, cfg_scale=2.0),
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
    return add_training_hooks(cfg)  # what the training program adds: the run hooks and LMD's ProgressHook


@pytest.fixture
def images_uint8() -> torch.Tensor:
    """Eight real 16x16 Fashion-MNIST images (uint8, (8, 1, 16, 16)) from the embedded set."""
    import numpy as np

    from lmdkit.datasets.fashion_mnist import EMBEDDED_FILE

    with np.load(EMBEDDED_FILE) as data:
        imgs = torch.from_numpy(data['train_images'][::200][:8].copy())  # one or two per class
    imgs = torch.nn.functional.interpolate(imgs[:, None].float(), size=(16, 16), mode='area')
    return imgs.round().to(torch.uint8)


def ramp_images(channels: int, size: int) -> torch.Tensor:
    """Four smooth uint8 images (rising and falling ramps, across and down): their masked regions follow from the
    visible ones, so a masked-image model can fit them."""
    ramp = torch.linspace(0, 255, size)
    across, down = ramp[None, None, :].expand(channels, size, size), ramp[None, :, None].expand(channels, size, size)
    return torch.stack([down, across, 255 - down, 255 - across]).to(torch.uint8)


def fixed_batch_losses(
    model: torch.nn.Module,
    images: torch.Tensor,
    steps: int = 60,
    lr: float = 3e-3,
    labels: Optional[torch.Tensor] = None,
) -> list:
    """The loss of ``steps`` AdamW steps on one batch (with ``labels``: a labelled one), with the same random draws
    (masks, noise) every step."""
    batch = dict(inputs=images) if labels is None else dict(inputs=images, data_samples=dict(gt_label=labels))
    data = model.data_preprocessor(batch, True)
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=lr)
    losses = []
    for _ in range(steps):
        torch.manual_seed(0)
        loss = model(**data, mode='loss')['loss']
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss))
    return losses
