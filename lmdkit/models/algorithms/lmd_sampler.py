"""Generation with a trained LMD: iterative unmasking along the reversed mask schedule.

LMD (arXiv 2312.07971) trains an MAE whose mask ratio grows from r_min to r_max; generating runs that curriculum
backwards. Start from a few visible latent tokens — drawn from a per-position Gaussian fitted to training latents
(``LMD.fit_latent_prior``), or taken from a real image for conditional completion — predict every masked token,
reveal a random share of the predictions as new visible tokens, and repeat over K steps until nothing is masked.
The predictions are MSE regressions (conditional means), so samples are smooth: the quality this reaches is
measured and discussed in docs/diffusion.md.
"""

from typing import Callable, List, Optional, Tuple

import torch

from ..layers import unpatchify


def unmasking_schedule(scheduler, steps: int, start_visible: float) -> List[float]:
    """Visible shares v_0 = ``start_visible`` < v_1 < … < v_K = 1.

    The training ratio r(p) rises from r_min (p = 0) to r_max, first reached at p_end (2/3 for the cosine and
    piecewise schedules, 1 for uniform; a final hold at r_max is skipped). Step k uses p = p_end·(1 − k/K), mapped
    so the mask share falls from 1 − v_0 to 0 with r's shape: m_k = (1 − v_0)·(r(p) − r_min)/(r_max − r_min).
    A fixed scheduler (MAE, r_min = r_max) has no shape: the share then falls linearly.
    """
    if steps < 1 or not 0.0 < start_visible < 1.0:
        raise ValueError(f'need steps >= 1 and 0 < start_visible < 1, got {steps} and {start_visible}')
    lo, hi = scheduler.min_ratio, scheduler.max_ratio
    p_end = 1.0
    if hi - lo >= 1e-8:  # bisection for the first p with r(p) = r_max (schedules are non-decreasing)
        a, b = 0.0, 1.0
        for _ in range(60):
            mid = (a + b) / 2
            a, b = (a, mid) if scheduler(mid, 0) >= hi - 1e-12 else (mid, b)
        p_end = b
    shares = [start_visible]
    for k in range(1, steps + 1):
        if hi - lo < 1e-8:
            shape = 1.0 - k / steps
        else:
            shape = (scheduler(p_end * (1.0 - k / steps), 0) - lo) / (hi - lo)
        shares.append(1.0 - (1.0 - start_visible) * min(max(shape, 0.0), 1.0))
    shares[-1] = 1.0
    return shares


@torch.no_grad()
def iterative_unmask(
    model,
    tokens: torch.Tensor,
    visible: torch.Tensor,
    shares: List[float],
    generator: Optional[torch.Generator] = None,
    predict: Optional[Callable[[torch.Tensor, float, torch.Tensor], Tuple[torch.Tensor, torch.Tensor]]] = None,
) -> torch.Tensor:
    """Fill the masked tokens of (B, L, P) latent patches.

    ``visible`` (B, L) bool marks the tokens given; each step the model sees exactly the visible tokens, and a
    random subset of its predictions for the masked ones (so that round(v_k·L) are visible afterwards) joins them.
    ``predict(z, ratio, noise)`` -> (predictions, mask) defaults to ``model.predict_patches`` (a text-conditioned
    LMD passes one bound to its captions). Returns the completed (B, L, P) patches: given tokens unchanged, the rest
    predicted.
    """
    predict = model.predict_patches if predict is None else predict
    b, length, _ = tokens.shape
    if not bool(visible.any(dim=1).all()):
        raise ValueError('every sample needs at least one visible token to start from')
    tokens, visible = tokens.clone(), visible.clone()
    if bool(visible.all()):
        return tokens  # nothing to fill
    grid, c, p = model.backbone.grid_size, model.backbone.in_channels, model.patch_size
    for share in shares[1:]:
        n_vis = int(visible[0].sum())
        if not bool((visible.sum(1) == n_vis).all()):
            raise ValueError('every sample must start with the same number of visible tokens')
        # keep exactly the visible tokens: they get the smallest masking noise (MAE keeps the smallest)
        rand = torch.rand(b, length, generator=generator).to(tokens.device)
        noise = torch.where(visible, rand * 0.5, 0.5 + rand * 0.5)
        ratio = 1.0 - (n_vis + 0.5) / length  # int(L·(1 − ratio)) = n_vis exactly
        z = unpatchify(tokens, p, grid, c)
        pred, mask = predict(z, ratio, noise)  # (B, L, P), (B, L)
        if not torch.equal(mask.bool(), ~visible):
            raise ValueError(f'{type(model.backbone).__name__} did not mask exactly the tokens not generated yet (its '
                             'masks come in units of several tokens): iterative unmasking needs a backbone that '
                             'masks single tokens, e.g. MAEViT')  # fmt: skip
        target = max(int(round(share * length)), n_vis + 1) if share < 1.0 else length
        # reveal target − n_vis masked positions chosen at random
        score = torch.rand(b, length, generator=generator).to(tokens.device).masked_fill(visible, -1.0)
        reveal = score.argsort(dim=1, descending=True)[:, : target - n_vis]
        new = torch.zeros_like(visible).scatter_(1, reveal, True)
        tokens = torch.where(new[..., None], pred, tokens)
        visible = visible | new
        if bool(visible.all()):
            break
    return tokens
