"""Loading pretrained weights into a backbone: our checkpoints, official MAE, HF ViTMAE and DiT files, by prefix.

Position embeddings are resized when the token grid differs (fine-tuning at another resolution), and a load
report (loaded, missing, unexpected, interpolated) is logged and returned, as MAE's fine-tuning script prints.
"""

import json
import os.path as osp

import torch.nn as nn
from mmengine.logging import print_log

from lmdkit.fileio.weights import read_lmdkit_state
from lmdkit.registry import WEIGHT_INITIALIZERS

from ..layers import resize_pos_embed


def _grid(rows: int, prefix: int) -> tuple:
    side = round((rows - prefix) ** 0.5)
    if side * side != rows - prefix:
        raise ValueError(f'cannot infer a square token grid from {rows - prefix} position rows')
    return side, side


def load_encoder_weights(module: nn.Module, path: str, prefix: str = 'backbone.', strict: bool = False) -> dict:
    """Load the ``prefix`` part of the weights at ``path`` into ``module`` and return the load report.

    Keys the module lacks (e.g. the final ``norm`` when fine-tuning with global pooling, decoder weights) are
    unexpected and skipped; keys the file lacks stay as initialised (missing); with ``strict`` either is an error.
    A shape mismatch other than a resizable position embedding is always an error.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'pretrained weights not found: {path} (train the pretraining config first, or point '
            'model.backbone.init_cfg.checkpoint at a checkpoint)'
        )
    state = read_lmdkit_state(path)
    if prefix:
        if not any(k.startswith(prefix) for k in state):
            roots = sorted({k.split('.')[0] + '.' for k in state})
            raise KeyError(f"{path} has no keys under '{prefix}' (its top-level prefixes: {roots[:10]})")
        state = {k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)}
    own = module.state_dict()
    interpolated = []
    if 'pos_embed' in state and 'pos_embed' in own and state['pos_embed'].shape != own['pos_embed'].shape:
        prefix_tokens = 1 if hasattr(module, 'cls_token') else 0
        src = _grid(state['pos_embed'].shape[1], prefix_tokens)
        dst = tuple(getattr(module, 'grid_size', _grid(own['pos_embed'].shape[1], prefix_tokens)))
        state['pos_embed'] = resize_pos_embed(state['pos_embed'], src, dst, prefix_tokens)
        interpolated.append(f'pos_embed {src[0]}x{src[1]} -> {dst[0]}x{dst[1]}')
    unexpected = sorted(set(state) - set(own))
    missing = sorted(set(own) - set(state))
    mismatched = [f'{k}: file {tuple(state[k].shape)} vs model {tuple(own[k].shape)}'
                  for k in sorted(set(state) & set(own)) if state[k].shape != own[k].shape]  # fmt: skip
    if mismatched or (strict and (missing or unexpected)):
        raise ValueError(
            f'{path} does not fit {type(module).__name__}: shape mismatches {mismatched[:6]}, '
            f'missing {missing[:6]}, unexpected {unexpected[:6]}'
        )
    module.load_state_dict({k: v for k, v in state.items() if k in own}, strict=False)
    report = dict(source=path, prefix=prefix, loaded=len(state) - len(unexpected), missing=missing,
                  unexpected=unexpected, interpolated=interpolated)  # fmt: skip
    if report['loaded'] == 0:
        raise ValueError(f'nothing from {path} (prefix {prefix!r}) matched {type(module).__name__}')
    print_log(f'pretrained encoder: {json.dumps(report)}', logger='current')
    return report


@WEIGHT_INITIALIZERS.register_module(name='PretrainedEncoder')
class PretrainedEncoderInit:
    """``init_cfg=dict(type='PretrainedEncoder', checkpoint=PATH, prefix='backbone.')`` on a backbone.

    Accepts lmdkit checkpoints (LMD/MAE pretraining, classifiers), official MAE releases and HF ViTMAE files;
    the last load report is kept on the module as ``pretrained_report``.
    """

    def __init__(self, checkpoint: str, prefix: str = 'backbone.', strict: bool = False) -> None:
        self.checkpoint, self.prefix, self.strict = checkpoint, prefix, strict

    def __call__(self, module: nn.Module) -> None:
        module.pretrained_report = load_encoder_weights(module, self.checkpoint, self.prefix, self.strict)

    def _get_init_info(self) -> str:
        return f'{type(self).__name__}: load {self.checkpoint} (prefix {self.prefix!r})'
