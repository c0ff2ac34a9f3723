"""A teacher pretrained with lmdkit: the encoder of an MAE/LMD run (its config and checkpoint), unmasked."""

import os.path as osp
from typing import Tuple

import torch

from lmdkit.fileio.weights import load_into, read_lmdkit_state
from lmdkit.registry import MODELS, TEACHERS

from .base import BaseTeacher, Inputs, _column, pixels


@TEACHERS.register_module()
class LmdkitEncoderTeacher(BaseTeacher):
    """The encoder of an lmdkit masked-modelling run (``LMD`` — MAE is LMD with the identity projector) as REPA's
    teacher: ``extract_feat`` on the whole input, class token dropped. Images are renormalised from the student's
    preprocessing to the teacher run's; latent-cache records go through its projector's ``from_cache``, so an LMD
    teacher pretrained on a latent cache aligns a denoiser trained on the same cache.

    Args:
        config: the teacher run's config file (its ``model`` is built here).
        checkpoint: its checkpoint (an lmdkit/MMEngine ``.pth``, or any format ``read_lmdkit_state`` reads), read by
            ``init_weights``.
    """

    def __init__(self, config: str, checkpoint: str) -> None:
        super().__init__()
        from lmdkit.utils.config_check import load_config

        from ..algorithms import LMD

        self.config, self.checkpoint = config, checkpoint
        self.model = MODELS.build(load_config(config).model)
        if not isinstance(self.model, LMD):
            raise TypeError(f'{config}: LmdkitEncoderTeacher takes an LMD/MAE run, got {type(self.model).__name__}')
        backbone = self.model.backbone
        self.prefix, self.grid = backbone.num_prefix_tokens, tuple(backbone.grid_size)
        self.feature_dim = backbone.out_dim
        self.freeze()

    def load_weights(self) -> None:
        if not osp.isfile(self.checkpoint):
            raise FileNotFoundError(f'teacher checkpoint not found: {self.checkpoint}; pretrain it first '
                                    f'(python tools/train.py {self.config})')  # fmt: skip
        load_into(self.model, read_lmdkit_state(self.checkpoint), self.checkpoint)

    def features(
        self, inputs: Inputs, image_mean: torch.Tensor, image_std: torch.Tensor
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        if not isinstance(inputs, dict):
            pre = self.model.data_preprocessor
            raw = pixels(inputs, image_mean, image_std, 'LmdkitEncoderTeacher')
            inputs = (raw - _column(pre.mean.flatten(), raw)) / _column(pre.std.flatten(), raw)
        tokens = self.model.extract_feat(inputs)  # (B, prefix + L, D)
        patches = tokens[:, self.prefix :]
        cls = tokens[:, 0] if self.prefix else patches.mean(1)  # the class token; the patches' mean without one
        return cls, patches.reshape(tokens.shape[0], *self.grid, -1)
