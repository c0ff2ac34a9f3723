"""REG's denoiser (Wu et al., 2025, "Representation Entanglement for Generation"): a DiT that denoises, besides the
latent patches, one extra token — a frozen teacher's class token, noised with the latents — so that generation
starts from noise in both and the global representation it recovers guides the image's.

Facts from the official code (Martinser/REG, ``models/sit.py``): the noisy class token goes through a linear map
to the hidden width and an affine LayerNorm, is prepended to the patch tokens without a position (its row of the
position table is zero), passes every block, and comes out through the final layer's modulated norm and its own
linear map back to the teacher's width, initialised to zero.
"""

from typing import Optional, Tuple

import torch
import torch.nn as nn

from lmdkit.registry import MODELS

from ..example import ComponentExample
from ..layers import unpatchify
from ..token_plans import TokenRoute
from .dit import DiT, modulate


@MODELS.register_module()
class REGDiT(DiT):
    """DiT with REG's representation token: ``forward_with_rep(x_t, t, y, r_t)`` -> (latent prediction, the token's
    prediction). A token plan's route drops patch tokens only; the representation token is seen by every block.

    Args:
        rep_dim: width of the teacher's class token (DINOv2-B: 768); the aligned teacher's ``feature_dim``.
        **kwargs: ``DiT``'s.
    """

    @classmethod
    def example(cls) -> ComponentExample:
        """A tiny REGDiT and an objective through both outputs (``lmdkit.models.example``)."""

        def objective(m: 'REGDiT') -> torch.Tensor:
            g = torch.Generator().manual_seed(0)
            x, rep = torch.randn(2, 1, 8, 8, generator=g), torch.randn(2, 6, generator=g)
            out, rep_out, _ = m.forward_with_rep(x, torch.tensor([3, 70]), torch.tensor([1, 4]), rep)
            # regression to fixed targets (the zero-initialised heads get gradients from the first step)
            return (out[:, :1] - x.flip(0)).square().mean() + (rep_out - rep.flip(0)).square().mean()

        return ComponentExample(
            cfg=dict(
                type='REGDiT',
                rep_dim=6,
                arch='p',
                hidden_size=32,
                depth=2,
                num_heads=2,
                input_size=8,
                patch_size=2,
                in_channels=1,
                num_classes=10,
                learn_sigma=True,
            ),  # fmt: skip
            objective=objective,
        )

    def __init__(self, rep_dim: int, **kwargs) -> None:
        if rep_dim < 1:
            raise ValueError(f'rep_dim is the teacher class token width (>= 1), got {rep_dim}')
        super().__init__(**kwargs)
        self._rep_dim = rep_dim
        # official names: cls_projectors2 + wg_norm (in), final_layer.linear_cls (out)
        self.rep_embedder = nn.Sequential(
            nn.Linear(rep_dim, self.hidden_size), nn.LayerNorm(self.hidden_size, eps=1e-6)
        )
        self.rep_head = nn.Linear(self.hidden_size, rep_dim)
        nn.init.xavier_uniform_(self.rep_embedder[0].weight)
        nn.init.zeros_(self.rep_embedder[0].bias)
        nn.init.zeros_(self.rep_head.weight)
        nn.init.zeros_(self.rep_head.bias)

    @property
    def rep_dim(self) -> int:
        return self._rep_dim

    @property
    def num_prefix_tokens(self) -> int:
        """The representation token, first in the sequence."""
        return 1

    def forward_with_tokens(self, x, t, y=None, route=None, depth=None, path_drop=None):
        raise TypeError('REGDiT also denoises a representation token: call forward_with_rep(x, t, y, rep, ...) '
                        '(MaskedDiffusion does, when its alignment teacher gives the token)')  # fmt: skip

    def forward_with_rep(
        self,
        x: torch.Tensor,
        t: torch.Tensor,
        y: Optional[torch.Tensor],
        rep: torch.Tensor,
        route: Optional[TokenRoute] = None,
        depth: Optional[int] = None,
    ) -> Tuple[torch.Tensor, torch.Tensor, Optional[torch.Tensor]]:
        """(B, C, H, W) noisy latents, (B,) timesteps, (B,) labels, (B, rep_dim) noisy representation token ->
        the latent prediction (B, C_out, H, W), the token's prediction (B, rep_dim) and, with ``depth``, the
        hidden tokens after block ``depth`` − 1: (B, 1 + N, D), or (B, 1 + K, D) on a route that covers that block,
        the representation token first."""
        if depth is not None and not 1 <= depth <= self.depth:
            raise ValueError(f'depth {depth}: tokens can be taken after blocks 1..{self.depth} of this DiT')
        if rep.shape != (x.shape[0], self.rep_dim):
            raise ValueError(f'rep must be (B, {self.rep_dim}) = ({x.shape[0]}, {self.rep_dim}), got '
                             f'{tuple(rep.shape)}')  # fmt: skip
        c = self.condition(t, y)
        patches = self.x_embedder(x) + self.pos_embed  # (B, N, D)
        h = torch.cat([self.rep_embedder(rep.to(patches.dtype)).unsqueeze(1), patches], dim=1)  # (B, 1 + N, D)
        h, tokens = self._run_blocks(
            h, c, route.with_prefix(1) if route is not None else None, depth, None, self.context(y)
        )
        shift, scale = self.final_layer.adaLN_modulation(c).chunk(2, dim=1)
        h = modulate(self.final_layer.norm_final(h), shift, scale)
        rep_out = self.rep_head(h[:, 0])
        out = self.final_layer.linear(h[:, 1:])  # (B, N or K, p·p·C_out)
        if route is not None and not route.rejoins:
            out = route.rejoin(out, out.new_zeros(out.shape[0], self.num_tokens, out.shape[-1]))
        return unpatchify(out, self.patch_size, self.grid_size, self.out_channels), rep_out, tokens
