"""A timm vision transformer from a local weights file as REPA's teacher (MAE, DINO, MoCo v3, CLIP ViTs...)."""

from typing import Dict, Optional, Sequence, Tuple

import timm
import torch

from lmdkit.fileio.weights import load_into, read_state_dict
from lmdkit.registry import TEACHERS

from .base import BaseTeacher, Inputs, normalise, pixels

IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


@TEACHERS.register_module()
class TimmViTTeacher(BaseTeacher):
    """``timm.create_model(model_name)`` without a head, its weights from ``checkpoint`` (a local file, never a hub
    download), patch tokens of ``forward_features`` (after the final norm; prefix tokens dropped).

    Args:
        model_name: a timm ViT (e.g. ``vit_base_patch16_224.mae``).
        checkpoint: weights file (``state_dict``/``model`` container or a bare state dict; head keys ignored).
        img_size: input side the images are resized to (bicubic).
        mean, std: input normalisation on the 0–1 scale (ImageNet's by default).
        model_kwargs: more ``create_model`` arguments (e.g. ``dynamic_img_size``).
    """

    def __init__(
        self,
        model_name: str,
        checkpoint: str,
        img_size: int = 224,
        mean: Sequence[float] = IMAGENET_MEAN,
        std: Sequence[float] = IMAGENET_STD,
        model_kwargs: Optional[Dict] = None,
    ) -> None:
        super().__init__()
        self.model = timm.create_model(model_name, pretrained=False, num_classes=0, img_size=img_size,
                                       **(model_kwargs or {}))  # fmt: skip
        self.checkpoint = checkpoint
        self.img_size, self.mean, self.std = img_size, tuple(mean), tuple(std)
        self.grid = tuple(self.model.patch_embed.grid_size)
        self.feature_dim = self.model.num_features
        self.freeze()

    def load_weights(self) -> None:
        state, _ = read_state_dict(self.checkpoint, ('state_dict', 'model'))
        load_into(self.model, state, self.checkpoint, ignore_prefixes=('head.',))

    def features(
        self, inputs: Inputs, image_mean: torch.Tensor, image_std: torch.Tensor
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        x = normalise(pixels(inputs, image_mean, image_std, 'TimmViTTeacher'), self.mean, self.std, self.img_size)
        tokens = self.model.forward_features(x)
        cls = self.model.forward_head(tokens, pre_logits=True)  # the model's own pooling (class token or mean)
        if cls.ndim != 2:
            raise ValueError(f"TimmViTTeacher: the model's pooling gives {tuple(cls.shape)}, not one token per "
                             "image (REG's class token); set model_kwargs global_pool='token' or 'avg'")  # fmt: skip
        patches = tokens[:, self.model.num_prefix_tokens :]
        return cls, patches.reshape(tokens.shape[0], *self.grid, -1)
