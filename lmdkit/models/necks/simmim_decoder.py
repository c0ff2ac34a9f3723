"""SimMIM's prediction head: one linear map from each encoder token to the raw inputs of its prediction patch."""

from typing import Optional

import torch
import torch.nn as nn

from lmdkit.registry import MODELS

from ..example import ComponentExample, example_noise, weighted_mean


@MODELS.register_module()
class SimMIMLinearDecoder(nn.Module):
    """tokens (B, skip + L, D) -> (B, L, p·p·C) patch predictions (SimMIM's 1×1 convolution and pixel shuffle, in
    ``patchify``'s (p, p, C) order).

    Args:
        in_dim: encoder token width (Swin-B's last stage: 1024; ViT-B: 768).
        patch_size: side of a prediction patch on the input (Swin: the encoder stride 32; ViT: its patch).
        out_channels: input channels (3 for RGB, the latent channels behind a projector).
        skip_tokens: leading tokens without a patch (ViT's class token: 1; Swin: 0).
    """

    @classmethod
    def example(cls) -> ComponentExample:
        """A tiny SimMIMLinearDecoder and its objective (``lmdkit.models.example``; the registry-wide test)."""
        return ComponentExample(
            cfg=dict(type='SimMIMLinearDecoder', in_dim=32, patch_size=4, out_channels=3, skip_tokens=1),
            objective=lambda m: weighted_mean(m(example_noise(2, 1 + 16, 32))),
        )

    def __init__(self, in_dim: int, patch_size: int, out_channels: int = 3, skip_tokens: int = 1) -> None:
        super().__init__()
        self.skip_tokens = skip_tokens
        self.proj = nn.Linear(in_dim, patch_size * patch_size * out_channels)

    def forward(self, tokens: torch.Tensor, ids_restore: Optional[torch.Tensor] = None) -> torch.Tensor:
        """``ids_restore`` is part of LMD's neck call: SimMIM's encoders keep every token in grid order (None)."""
        if ids_restore is not None:
            raise ValueError('SimMIMLinearDecoder predicts from tokens in grid order; its encoder dropped tokens '
                             '(ids_restore given): pair it with SimMIMViT or SimMIMSwin')  # fmt: skip
        return self.proj(tokens[:, self.skip_tokens :])
