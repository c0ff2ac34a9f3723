"""MaskDiT (Zheng et al., 2024, "Fast Training of Diffusion Models with Masked Transformers"): a DiT encoder on the
visible half of the tokens and a narrow DiT decoder on all of them, the dropped ones as a learnable mask token.

Module and parameter names follow the official ``models/maskdit.py`` (Anima-Lab/MaskDiT): ``decoder_layer``
(modulated norm + linear to the decoder width), ``decoder_pos_embed`` (fixed sin-cos), ``decoder_blocks``,
``mask_token``. Its checkpoints do not load as they are: the official label embedder is a linear map of one-hot
labels (1152 x 1000, no null row) and its keys sit under the preconditioner's ``model.`` prefix.

Training drops tokens through a token plan at the input (``DeferredMasking(start=0)``); the loss
(``MaskedDiffusion``): the diffusion loss on the visible tokens plus ``mae_loss`` on the dropped ones.
"""

from typing import List, Optional

import torch
import torch.nn as nn

from lmdkit.registry import MODELS

from ..example import ComponentExample, denoiser_objective
from ..layers import get_2d_sincos_pos_embed
from ..token_plans import TokenRoute
from .dit import DiT, DiTBlock, FinalLayer, modulate


class DecoderLayer(nn.Module):
    """Encoder tokens -> decoder width: a condition-modulated norm and a linear map (official ``DecoderLayer``)."""

    def __init__(self, hidden_size: int, decoder_hidden_size: int) -> None:
        super().__init__()
        self.norm_decoder = nn.LayerNorm(hidden_size, elementwise_affine=False, eps=1e-6)
        self.linear = nn.Linear(hidden_size, decoder_hidden_size)
        self.adaLN_modulation = nn.Sequential(nn.SiLU(), nn.Linear(hidden_size, 2 * hidden_size))

    def forward(self, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        shift, scale = self.adaLN_modulation(c).chunk(2, dim=1)
        return self.linear(modulate(self.norm_decoder(x), shift, scale))


@MODELS.register_module()
class MaskDiT(DiT):
    """DiT with MaskDiT's decoder; ``forward(..., route=...)`` drops tokens before the encoder.

    Args:
        decoder_hidden_size: decoder width (official: 512).
        decoder_depth: decoder blocks (official: 8).
        decoder_num_heads: decoder heads (official: 16).
        **kwargs: ``DiT``'s arguments (the encoder).
    """

    @classmethod
    def example(cls) -> ComponentExample:
        """A tiny MaskDiT (``lmdkit.models.example``; the registry-wide test)."""
        cfg = dict(DiT.example().cfg, type='MaskDiT', decoder_hidden_size=16, decoder_depth=1, decoder_num_heads=2)
        # half of the 16 tokens dropped at the input, so the mask token takes part
        keep = torch.arange(0, 16, 2).expand(2, -1)
        return ComponentExample(cfg=cfg, objective=lambda m: denoiser_objective(m, TokenRoute(keep, 0)))

    def __init__(
        self, decoder_hidden_size: int = 512, decoder_depth: int = 8, decoder_num_heads: int = 16, **kwargs
    ) -> None:
        self.decoder_hidden_size = decoder_hidden_size
        self.decoder_depth, self.decoder_num_heads = decoder_depth, decoder_num_heads
        super().__init__(**kwargs)

    def _build_blocks(self, hidden_size: int, depth: int, num_heads: int, mlp_ratio: float) -> None:
        super()._build_blocks(hidden_size, depth, num_heads, mlp_ratio)
        width = self.decoder_hidden_size
        self.decoder_layer = DecoderLayer(hidden_size, width)
        self.decoder_pos_embed = nn.Parameter(torch.zeros(1, self.num_tokens, width), requires_grad=False)
        self.decoder_blocks = nn.ModuleList(
            DiTBlock(width, self.decoder_num_heads, mlp_ratio, cond_size=hidden_size) for _ in range(self.decoder_depth)
        )
        self.mask_token = nn.Parameter(torch.zeros(1, 1, width))

    def _build_final_layer(self, hidden_size: int, patch_size: int) -> FinalLayer:
        return FinalLayer(self.decoder_hidden_size, patch_size, self.out_channels, cond_size=hidden_size)

    def _adaln_blocks(self) -> List[nn.Module]:
        return list(self.blocks) + list(self.decoder_blocks)

    def _random_init(self) -> None:
        """DiT's init, then the official decoder init: sin-cos decoder positions, N(0, 0.02) mask token, and the
        decoder layer's modulation and linear map at zero."""
        super()._random_init()
        self.decoder_pos_embed.data.copy_(get_2d_sincos_pos_embed(self.decoder_hidden_size, self.grid_size)[None])
        nn.init.normal_(self.mask_token, std=0.02)
        for layer in (self.decoder_layer.adaLN_modulation[-1], self.decoder_layer.linear):
            nn.init.zeros_(layer.weight)
            nn.init.zeros_(layer.bias)

    @property
    def predicts_dropped_tokens(self) -> bool:
        return True

    def _head(self, x: torch.Tensor, c: torch.Tensor, route: Optional[TokenRoute]) -> torch.Tensor:
        """Encoder tokens -> the decoder on every position (dropped ones as the mask token) -> patch predictions."""
        x = self.decoder_layer(x, c)  # (B, N or K, D_dec)
        if route is not None and not route.rejoins:
            x = route.rejoin(x, self.mask_token.to(x.dtype).expand(x.shape[0], self.num_tokens, -1))
        x = x + self.decoder_pos_embed  # (B, N, D_dec)
        for block in self.decoder_blocks:
            x = block(x, c)
        return self.final_layer(x, c)  # (B, N, p·p·C_out)
