"""MAE's per-sample random masking: shuffle tokens by argsort of uniform noise and keep the first ``len_keep``."""

from typing import Optional, Tuple

import torch


def num_kept(num_tokens: int, mask_ratio: float) -> int:
    """Tokens kept at a mask ratio, ``int(L · (1 − r))`` as in MAE, at least one."""
    if not 0.0 <= mask_ratio < 1.0:
        raise ValueError(f'mask_ratio must be in [0, 1), got {mask_ratio}')
    return max(1, int(num_tokens * (1 - mask_ratio)))


def dropped_tokens(noise: torch.Tensor, mask_ratio: float) -> torch.Tensor:
    """(B, L) mask, 1 at the tokens ``random_masking`` drops for this ``noise`` (the larger noise values)."""
    ranks = torch.argsort(torch.argsort(noise, dim=1), dim=1)  # each token's place in the ascending shuffle
    return (ranks >= num_kept(noise.shape[1], mask_ratio)).to(noise.dtype)


def random_masking(
    x: torch.Tensor, mask_ratio: float, noise: Optional[torch.Tensor] = None
) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Keep a random subset of tokens per sample.

    Args:
        x: (B, L, D) tokens.
        mask_ratio: fraction of tokens to drop.
        noise: optional (B, L) noise fixing the shuffle (tests, reproducible visualisation).

    Returns:
        x_kept (B, len_keep, D); mask (B, L) with 1 at dropped tokens, in the original order;
        ids_restore (B, L), the permutation that undoes the shuffle.
    """
    b, length, dim = x.shape
    len_keep = num_kept(length, mask_ratio)
    if noise is None:
        noise = torch.rand(b, length, device=x.device)
    ids_shuffle = torch.argsort(noise, dim=1)  # ascending: small noise is kept
    ids_restore = torch.argsort(ids_shuffle, dim=1)
    ids_keep = ids_shuffle[:, :len_keep]
    x_kept = torch.gather(x, 1, ids_keep.unsqueeze(-1).expand(-1, -1, dim))  # (B, len_keep, D)
    mask = torch.ones(b, length, device=x.device, dtype=x.dtype)
    mask[:, :len_keep] = 0
    mask = torch.gather(mask, 1, ids_restore)  # back to the original token order
    return x_kept, mask, ids_restore
