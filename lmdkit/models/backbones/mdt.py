"""MDT and MDTv2 (Gao et al., 2023): a DiT whose encoder also learns from masked latents.

Training runs the denoiser twice per step (``MaskedDiffusion``): on all tokens, and with a share of the tokens
dropped — the encoder then sees only the kept tokens, and a *side-interpolator* (mask tokens + learnable positions +
one block, with a masked shortcut) fills the dropped positions before the decoder. Sampling uses the full pass only.
Every block carries a BEiT-style relative-position bias (fed to SDPA as its mask).

- v1: ``blocks`` = encoder blocks then ``decode_layers`` decoder blocks; the side-interpolator sits between them.
- v2: the encoder is split into ``en_inblocks`` and ``en_outblocks`` joined by U-Net-style long shortcuts
  (concatenate + linear), and every decoder block (``de_blocks``) also receives the embedded noisy input (dense
  input shortcut).

Parameter and buffer names follow the official ``masked_diffusion/models.py`` so released checkpoints load strictly.
"""

from typing import List, Optional, Tuple

import torch
import torch.nn as nn

from lmdkit.registry import MODELS

from ..example import ComponentExample, denoiser_objective
from ..layers import get_2d_sincos_pos_embed, random_masking, unpatchify
from ..layers.attention import RelPosAttention
from .dit import DiT, DiTBlock


class MDTBlock(DiTBlock):
    """A DiT block with relative-position attention, optionally fusing a shortcut input first (MDTv2)."""

    def __init__(
        self, hidden_size: int, num_heads: int, grid_size: Tuple[int, int], mlp_ratio: float = 4.0, skip: bool = False
    ) -> None:
        super().__init__(hidden_size, num_heads, mlp_ratio, attn=RelPosAttention(hidden_size, num_heads, grid_size))
        self.skip_linear = nn.Linear(2 * hidden_size, hidden_size) if skip else None

    def forward(
        self,
        x: torch.Tensor,
        c: torch.Tensor,
        skip: Optional[torch.Tensor] = None,
        ids_keep: Optional[torch.Tensor] = None,
    ) -> torch.Tensor:
        if self.skip_linear is not None:
            x = self.skip_linear(torch.cat([x, skip], dim=-1))
        return super().forward(x, c, ids_keep=ids_keep)


@MODELS.register_module()
class MDT(DiT):
    """Masked diffusion transformer ε_θ(x_t, t, y); ``forward(..., mask_ratio=r)`` runs the masked training pass.

    Args:
        version: 1 (MDT) or 2 (MDTv2: long and dense shortcuts).
        decode_layers: decoder blocks, part of ``depth`` (official: v1 2; v2 4 for XL, 6 for S).
        Other arguments as ``DiT`` (arch 'p', 'S', 'B', 'L', 'XL' sets width, depth, heads).

    ``num_params(inference=True)`` leaves out the side-interpolator and mask token, which only training uses — the
    count the MDTv2 paper's Table 1 reports.
    """

    @classmethod
    def example(cls) -> ComponentExample:
        """A tiny MDT and its objective (``lmdkit.models.example``; the registry-wide test)."""
        return ComponentExample(
            cfg=dict(
                type='MDT',
                arch='p',
                version=2,
                hidden_size=32,
                depth=4,
                num_heads=2,
                decode_layers=1,
                input_size=8,
                patch_size=2,
                in_channels=1,
                num_classes=10,
                learn_sigma=True,
            ),  # fmt: skip
            # the masked pass, so the side-interpolator and the mask token get gradients too
            objective=lambda m: denoiser_objective(m, 0.5),
        )

    def __init__(self, arch: str = 'XL', version: int = 2, decode_layers: Optional[int] = None, **kwargs) -> None:
        if version not in (1, 2):
            raise ValueError(f'MDT version must be 1 or 2, got {version}')
        self.version = version
        self.decode_layers = decode_layers if decode_layers is not None else (2 if version == 1 else 4)
        super().__init__(arch=arch, **kwargs)
        self.pos_embed.requires_grad_(True)  # MDT learns its positions (sin-cos initialised)

    @property
    def supports_masking(self) -> bool:
        return True

    def _build_blocks(self, hidden_size: int, depth: int, num_heads: int, mlp_ratio: float) -> None:
        grid = self.grid_size
        if not 0 < self.decode_layers < depth:
            raise ValueError(f'decode_layers must be in [1, depth - 1] = [1, {depth - 1}], got {self.decode_layers}')
        self.num_encoder_blocks = depth - self.decode_layers
        if self.version == 1:
            self.blocks = nn.ModuleList(MDTBlock(hidden_size, num_heads, grid, mlp_ratio) for _ in range(depth))
        else:
            half = self.num_encoder_blocks // 2  # as the official code: an odd encoder depth loses one block
            if half == 0:
                raise ValueError(f'MDTv2 needs depth - decode_layers >= 2, got {self.num_encoder_blocks}')
            self.en_inblocks = nn.ModuleList(MDTBlock(hidden_size, num_heads, grid, mlp_ratio) for _ in range(half))
            self.en_outblocks = nn.ModuleList(
                MDTBlock(hidden_size, num_heads, grid, mlp_ratio, skip=True) for _ in range(half)
            )
            self.de_blocks = nn.ModuleList(
                MDTBlock(hidden_size, num_heads, grid, mlp_ratio, skip=True) for _ in range(self.decode_layers)
            )
        self.sideblocks = nn.ModuleList([MDTBlock(hidden_size, num_heads, grid, mlp_ratio)])
        num_patches = grid[0] * grid[1]
        self.decoder_pos_embed = nn.Parameter(torch.zeros(1, num_patches, hidden_size))
        self.mask_token = nn.Parameter(torch.zeros(1, 1, hidden_size))

    def _adaln_blocks(self) -> List[nn.Module]:
        if self.version == 1:
            return [*self.blocks, *self.sideblocks]
        return [*self.en_inblocks, *self.en_outblocks, *self.de_blocks, *self.sideblocks]

    def _random_init(self) -> None:
        super()._random_init()
        self.decoder_pos_embed.data.copy_(
            get_2d_sincos_pos_embed(self.decoder_pos_embed.shape[-1], self.grid_size)[None]
        )
        nn.init.normal_(self.mask_token, std=0.02)

    def num_params(self, inference: bool = True) -> int:
        """Parameters; with ``inference`` only those sampling uses (no side-interpolator, no mask token)."""
        skip = ('sideblocks.', 'mask_token') if inference else ()
        return sum(p.numel() for n, p in self.named_parameters() if not n.startswith(skip))

    def side_interpolate(
        self, x: torch.Tensor, c: torch.Tensor, mask: torch.Tensor, ids_restore: torch.Tensor
    ) -> torch.Tensor:
        """Kept tokens (B, n, D) -> all N tokens: mask tokens fill the dropped positions, decoder positions are added,
        one block runs, and the masked shortcut m·side(x) + (1 − m)·x keeps the kept tokens' values."""
        b, n, d = x.shape
        x = torch.cat([x, self.mask_token.expand(b, ids_restore.shape[1] - n, d)], dim=1)
        x = torch.gather(x, 1, ids_restore.unsqueeze(-1).expand(-1, -1, d)) + self.decoder_pos_embed  # unshuffle
        side = x
        for block in self.sideblocks:
            side = block(side, c)
        m = mask.unsqueeze(-1).to(x.dtype)
        return side * m + x * (1 - m)

    def encode(self, x: torch.Tensor, c: torch.Tensor, ids_keep: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Encoder blocks on the tokens given (all, or the kept ones at grid positions ``ids_keep``)."""
        if self.version == 1:
            for block in self.blocks[: self.num_encoder_blocks]:
                x = block(x, c, ids_keep=ids_keep)
            return x
        skips = []
        for block in self.en_inblocks:
            x = block(x, c, ids_keep=ids_keep)
            skips.append(x)
        for block in self.en_outblocks:
            x = block(x, c, skip=skips.pop(), ids_keep=ids_keep)
        return x

    def decode(self, x: torch.Tensor, c: torch.Tensor, input_skip: torch.Tensor) -> torch.Tensor:
        """Decoder blocks on all tokens; v2 fuses the embedded full input ``input_skip`` into each."""
        if self.version == 1:
            for block in self.blocks[self.num_encoder_blocks :]:
                x = block(x, c)
            return x
        for block in self.de_blocks:
            x = block(x, c, skip=input_skip)
        return x

    def forward(
        self,
        x: torch.Tensor,
        t: torch.Tensor,
        y: Optional[torch.Tensor] = None,
        mask_ratio: Optional[float] = None,
        noise: Optional[torch.Tensor] = None,
    ) -> torch.Tensor:
        """(B, C, H, W) noisy latents, (B,) timesteps, (B,) labels -> (B, C_out, H, W).

        ``mask_ratio`` > 0 runs the masked pass: per-sample random tokens are dropped before the encoder (``noise``
        (B, N) fixes which, as in MAE) and the side-interpolator restores them. The prediction still covers all
        tokens: MDT's masked loss is taken everywhere.
        """
        c = self.condition(t, y)
        x = self.x_embedder(x) + self.pos_embed  # (B, N, D)
        input_skip = x  # v2's dense shortcut carries the full input even in the masked pass (official behaviour)
        if mask_ratio:
            x, mask, ids_restore = random_masking(x, mask_ratio, noise)
            ids_keep = torch.argsort(ids_restore, dim=1)[:, : x.shape[1]]  # grid positions of the kept tokens
            x = self.side_interpolate(self.encode(x, c, ids_keep), c, mask, ids_restore)
        else:
            x = self.encode(x, c) + self.decoder_pos_embed
        x = self.final_layer(self.decode(x, c, input_skip), c)  # (B, N, p·p·C_out)
        return unpatchify(x, self.patch_size, self.grid_size, self.out_channels)
