"""Conversions between the model's normalised images and the uint8 images people look at."""

import torch


def to_uint8(images: torch.Tensor, mean: torch.Tensor, std: torch.Tensor) -> torch.Tensor:
    """Undo the data preprocessor's normalisation (``mean``/``std`` of shape (C, 1, 1) or broadcastable):
    (B, C, H, W) -> uint8 in [0, 255] on the CPU."""
    return (images.float().cpu() * std.cpu() + mean.cpu()).round().clamp(0, 255).to(torch.uint8)
