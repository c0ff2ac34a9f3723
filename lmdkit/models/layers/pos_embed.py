"""Fixed 2-D sine-cosine position embeddings (MAE, ``util/pos_embed.py``)."""

from typing import Tuple, Union

import torch


def sincos_1d(embed_dim: int, positions: torch.Tensor) -> torch.Tensor:
    """(N,) positions -> (N, embed_dim) as [sin(pos·ω), cos(pos·ω)], ω_k = 10000^(-k / (D/2))."""
    if embed_dim % 2:
        raise ValueError(f'sin-cos embedding needs an even width, got {embed_dim}')
    omega = 1.0 / 10000 ** (torch.arange(embed_dim // 2, dtype=torch.float64) / (embed_dim / 2.0))
    angles = positions.reshape(-1).to(torch.float64)[:, None] * omega[None]  # (N, D/2)
    return torch.cat([angles.sin(), angles.cos()], dim=1)


def get_2d_sincos_pos_embed(
    embed_dim: int, grid_size: Union[int, Tuple[int, int]], cls_token: bool = False
) -> torch.Tensor:
    """(H·W [+1], embed_dim) float32 table, row-major over (h, w); a zero row first when ``cls_token``.

    As in MAE, the first half of the channels encodes the column (w) index and the second half the row (h) index.
    """
    if embed_dim % 4:
        raise ValueError(f'2-D sin-cos embedding needs a width divisible by 4, got {embed_dim}')
    h, w = (grid_size, grid_size) if isinstance(grid_size, int) else grid_size
    rows, cols = torch.meshgrid(torch.arange(h), torch.arange(w), indexing='ij')  # (h, w) each
    emb = torch.cat([sincos_1d(embed_dim // 2, cols), sincos_1d(embed_dim // 2, rows)], dim=1)  # (h*w, D)
    if cls_token:
        emb = torch.cat([emb.new_zeros(1, embed_dim), emb], dim=0)
    return emb.float()


def resize_pos_embed(
    pos_embed: torch.Tensor, src_grid: Tuple[int, int], dst_grid: Tuple[int, int], num_prefix_tokens: int = 1
) -> torch.Tensor:
    """(1, P + h·w, D) table -> (1, P + h'·w', D): the prefix rows (class token) kept, the grid part resized
    bicubically as a (D, h, w) image (MAE's ``interpolate_pos_embed``; align_corners=False)."""
    if tuple(src_grid) == tuple(dst_grid):
        return pos_embed
    prefix, grid = pos_embed[:, :num_prefix_tokens], pos_embed[:, num_prefix_tokens:]
    h, w = src_grid
    if grid.shape[1] != h * w:
        raise ValueError(f'pos_embed has {grid.shape[1]} grid rows, not {h}x{w}')
    grid = grid.reshape(1, h, w, -1).permute(0, 3, 1, 2).float()  # (1, D, h, w)
    grid = torch.nn.functional.interpolate(grid, size=tuple(dst_grid), mode='bicubic', align_corners=False)
    grid = grid.permute(0, 2, 3, 1).reshape(1, dst_grid[0] * dst_grid[1], -1).to(pos_embed.dtype)
    return torch.cat([prefix, grid], dim=1)
