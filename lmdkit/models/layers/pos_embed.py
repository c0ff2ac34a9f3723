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
