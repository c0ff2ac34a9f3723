"""Patchify / unpatchify latents in MAE's token layout: row-major patches, (p, p, C) inside each patch."""

import torch
from einops import rearrange


def patchify(x: torch.Tensor, patch_size: int) -> torch.Tensor:
    """(B, C, H, W) -> (B, H/p · W/p, p·p·C)."""
    h, w = x.shape[-2:]
    if h % patch_size or w % patch_size:
        raise ValueError(f'input of size {h}x{w} is not divisible by patch size {patch_size}')
    return rearrange(x, 'b c (h p) (w q) -> b (h w) (p q c)', p=patch_size, q=patch_size)


def unpatchify(tokens: torch.Tensor, patch_size: int, grid_size: tuple, channels: int) -> torch.Tensor:
    """(B, h·w, p·p·C) -> (B, C, h·p, w·p)."""
    h, w = grid_size
    return rearrange(tokens, 'b (h w) (p q c) -> b c (h p) (w q)', h=h, w=w, p=patch_size, q=patch_size, c=channels)


def patch_mask_to_image(mask: torch.Tensor, grid_size: tuple, scale: int) -> torch.Tensor:
    """(B, h·w) patch mask (1 = masked) -> (B, 1, h·scale, w·scale) pixel mask."""
    h, w = grid_size
    mask = mask.reshape(-1, 1, h, w)
    return mask.repeat_interleave(scale, dim=2).repeat_interleave(scale, dim=3)
