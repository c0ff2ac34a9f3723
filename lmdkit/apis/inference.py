"""Python entry points for notebooks and scripts: build a model from a config, reconstruct images."""

from typing import Dict, Optional, Union

import numpy as np
import torch
from mmengine.config import Config

from ..models.builder import build_model
from ..utils.images import to_uint8
from .setup_env import register_all_modules


def init_model(
    config: Union[str, Config],
    checkpoint: Optional[str] = None,
    device: Union[str, torch.device] = 'cpu',
    cfg_options: Optional[dict] = None,
    ema: bool = False,
    strict: bool = True,
) -> torch.nn.Module:
    """Register lmdkit's modules (``register_all_modules``) and build ``config``'s model with ``checkpoint``:
    ``lmdkit.models.builder.build_model``, whose docstring says how EMA weights, exported folders and strictness
    work."""
    register_all_modules()
    return build_model(config, checkpoint, device, cfg_options, ema, strict)


def _as_batch(images: Union[torch.Tensor, np.ndarray]) -> torch.Tensor:
    """uint8/float images, (H, W), (H, W, C), (B, H, W, C) numpy or (B, C, H, W) / (C, H, W) tensors -> (B, C, H, W)."""
    if isinstance(images, np.ndarray):
        t = torch.from_numpy(np.ascontiguousarray(images))
        if t.ndim == 2:
            t = t[None, None]
        elif t.ndim == 3:
            t = t.permute(2, 0, 1)[None]
        elif t.ndim == 4:
            t = t.permute(0, 3, 1, 2)
        return t
    return images[None] if images.ndim == 3 else images


@torch.no_grad()
def reconstruct(
    model: torch.nn.Module,
    images: Union[torch.Tensor, np.ndarray],
    mask_ratio: float = 0.75,
    seed: Optional[int] = None,
) -> Dict[str, torch.Tensor]:
    """Mask and reconstruct raw images (pixel values 0-255, as the dataset gives them).

    Returns uint8 (B, C, H, W) tensors ``input``, ``masked``, ``reconstruction`` and ``prediction``, and the
    pixel ``mask`` (B, 1, H, W), 1 = masked. ``seed`` fixes the masks.
    """
    batch = _as_batch(images)
    device = next(model.parameters()).device
    inputs = model.data_preprocessor(dict(inputs=batch.to(device)), False)['inputs']
    noise = model.fixed_noise(inputs.shape[0], seed, device) if seed is not None else None
    out = model.reconstruct(inputs, mask_ratio, noise)
    pre = model.data_preprocessor
    result = {k: to_uint8(v, pre.mean, pre.std) for k, v in out.items() if k != 'mask'}
    result['mask'] = out['mask'].cpu()
    return result


@torch.no_grad()
def classify(model: torch.nn.Module, images: Union[torch.Tensor, np.ndarray], topk: int = 5) -> Dict[str, torch.Tensor]:
    """Class predictions of an ``ImageClassifier`` for raw images (pixel values 0-255).

    Returns ``labels`` (B,), ``scores`` (B, K) softmax probabilities and ``topk_labels`` / ``topk_scores`` (B, k).
    """
    batch = _as_batch(images)
    device = next(model.parameters()).device
    inputs = model.data_preprocessor(dict(inputs=batch.to(device)), False)['inputs']
    scores = model(inputs, mode='tensor').float().softmax(dim=-1).cpu()
    top = scores.topk(min(topk, scores.shape[1]), dim=1)
    return dict(labels=scores.argmax(1), scores=scores, topk_labels=top.indices, topk_scores=top.values)
