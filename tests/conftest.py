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


def tiny_clip_dir(path):
    """A random tiny CLIP with a byte-level tokenizer vocabulary (no merges), saved as a local directory."""
    import json

    from transformers import CLIPConfig, CLIPModel

    # GPT-2/CLIP byte-level alphabet: printable Latin-1 bytes map to themselves, the other bytes to 256 + n
    printable = [*range(33, 127), *range(161, 173), *range(174, 256)]
    chars = [chr(b) for b in printable] + [chr(256 + n) for n in range(256 - len(printable))]
    vocab = {c: i for i, c in enumerate(chars + [c + '</w>' for c in chars] + ['<|startoftext|>', '<|endoftext|>'])}
    (path / 'vocab.json').write_text(json.dumps(vocab))
    (path / 'merges.txt').write_text('#version: 0.2\n')
    text = dict(vocab_size=len(vocab), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                num_attention_heads=2, max_position_embeddings=77, bos_token_id=len(vocab) - 2,
                eos_token_id=len(vocab) - 1, pad_token_id=len(vocab) - 1)  # fmt: skip
    vision = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2, image_size=32,
                  patch_size=8)  # fmt: skip
    torch.manual_seed(0)
    CLIPModel(CLIPConfig(text_config=text, vision_config=vision, projection_dim=16)).save_pretrained(path)
    from transformers import CLIPTokenizer

    CLIPTokenizer(str(path / 'vocab.json'), str(path / 'merges.txt')).save_pretrained(path)
    return str(path)


def tiny_t5_dir(path):
    """A random tiny T5 encoder with a word-level fast tokenizer (``tokenizer.json``), saved as a local directory."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast, T5Config, T5EncoderModel

    words = ['<pad>', '</s>', '<unk>', 'a', 'dark', 'light', 'shirt', 'bag', 'boot', 'small', 'large']
    core = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token='<unk>'))
    core.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=core, pad_token='<pad>', eos_token='</s>', unk_token='<unk>')
    tokenizer.save_pretrained(path)
    torch.manual_seed(0)
    config = T5Config(vocab_size=len(words), d_model=32, d_kv=8, d_ff=64, num_layers=2, num_heads=4,
                      pad_token_id=0, eos_token_id=1, decoder_start_token_id=0)  # fmt: skip
    T5EncoderModel(config).save_pretrained(path)
    return str(path)


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
    captions: Optional[list] = None,
) -> list:
    """The loss of ``steps`` AdamW steps on one batch (with ``labels``: a labelled one; with ``captions``: a
    captioned one), with the same random draws (masks, noise, dropped captions) every step."""
    samples = {k: v for k, v in dict(gt_label=labels, caption=captions).items() if v is not None}
    batch = dict(inputs=images, data_samples=samples) if samples else dict(inputs=images)
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
