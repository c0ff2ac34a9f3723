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
Switches for the MDT/MDTv2 ablations (symmetric masking, side-interpolator depth or none, masked shortcut, position
embeddings, relative bias, long and dense shortcuts, 0 decoder blocks) change only what they name; with their
defaults the model is the official one (docs/diffusion.md, "MDT ablation switches").
"""

from typing import List, Optional, Tuple

import torch
import torch.nn as nn

from lmdkit.registry import MODELS

from ..example import ComponentExample, denoiser_objective
from ..layers import Context, dropped_tokens, get_2d_sincos_pos_embed, num_kept, patch_mask_to_image, unpatchify
from ..layers.attention import RelPosAttention
from ..token_plans import TokenRoute
from .dit import DiT, DiTBlock


class MDTBlock(DiTBlock):
    """A DiT block with relative-position attention (or DiT's plain attention without ``rel_pos_bias``), optionally
    fusing a shortcut input first (MDTv2)."""

    def __init__(
        self,
        hidden_size: int,
        num_heads: int,
        grid_size: Tuple[int, int],
        mlp_ratio: float = 4.0,
        skip: bool = False,
        rel_pos_bias: bool = True,
        cross_attn: Optional[nn.Module] = None,
    ) -> None:
        attn = RelPosAttention(hidden_size, num_heads, grid_size) if rel_pos_bias else None
        super().__init__(hidden_size, num_heads, mlp_ratio, attn=attn, cross_attn=cross_attn)
        self.skip_linear = nn.Linear(2 * hidden_size, hidden_size) if skip else None
        self.uses_rel_pos = rel_pos_bias

    def forward(
        self,
        x: torch.Tensor,
        c: torch.Tensor,
        skip: Optional[torch.Tensor] = None,
        ids_keep: Optional[torch.Tensor] = None,
        context: Optional[Context] = None,
    ) -> torch.Tensor:
        if self.skip_linear is not None:
            x = self.skip_linear(torch.cat([x, skip], dim=-1))
        # plain attention needs no grid positions: the kept tokens carry theirs in the position embedding
        if self.uses_rel_pos:
            return super().forward(x, c, context, ids_keep=ids_keep)
        return super().forward(x, c, context)


@MODELS.register_module()
class MDT(DiT):
    """Masked diffusion transformer ε_θ(x_t, t, y); ``forward(..., mask_ratio=r)`` runs the masked training pass.

    Args:
        version: 1 (MDT) or 2 (MDTv2: long and dense shortcuts).
        decode_layers: decoder blocks after the side-interpolator, part of ``depth`` (official: v1 2; v2 4 for XL,
            6 for S); 0 puts the side-interpolator right before the output layer.
        side_blocks: blocks of the side-interpolator (official: 1); 0 leaves only its mask tokens and positions.
        masked_shortcut: kept tokens bypass the side-interpolator (m·side(x) + (1 − m)·x); off, every token takes
            its output.
        asymmetric: the encoder sees only the kept tokens (MDT); off (symmetric), it sees all of them with the
            dropped ones replaced by the mask token at their position, as SimMIM/BEiT feed an encoder.
        side_pos_embed: the learnable ``decoder_pos_embed`` added before the side-interpolator (and after the
            encoder in the full pass); off, there is none.
        learn_pos_embed: the position embeddings train (MDT, sin-cos initialised); off, they stay DiT's fixed
            sin-cos.
        rel_pos_bias: every block's attention has MDT's relative-position bias; off, DiT's plain attention.
        long_shortcut: MDTv2's U-Net-style shortcuts inside the encoder (v2 only).
        dense_shortcut: MDTv2's embedded-input shortcut into every decoder block (v2 only).
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

    def __init__(
        self,
        arch: str = 'XL',
        version: int = 2,
        decode_layers: Optional[int] = None,
        side_blocks: int = 1,
        masked_shortcut: bool = True,
        asymmetric: bool = True,
        side_pos_embed: bool = True,
        learn_pos_embed: bool = True,
        rel_pos_bias: bool = True,
        long_shortcut: bool = True,
        dense_shortcut: bool = True,
        **kwargs,
    ) -> None:
        if version not in (1, 2):
            raise ValueError(f'MDT version must be 1 or 2, got {version}')
        if version == 1 and not (long_shortcut and dense_shortcut):
            raise ValueError('long_shortcut and dense_shortcut are MDTv2 switches; MDT version 1 has neither')
        if side_blocks < 0:
            raise ValueError(f'side_blocks must be >= 0, got {side_blocks}')
        self.version = version
        self.decode_layers = decode_layers if decode_layers is not None else (2 if version == 1 else 4)
        self.side_blocks, self.masked_shortcut, self.asymmetric = side_blocks, masked_shortcut, asymmetric
        self.use_side_pos_embed, self.learn_pos_embed, self.rel_pos_bias = side_pos_embed, learn_pos_embed, rel_pos_bias
        self.long_shortcut, self.dense_shortcut = long_shortcut, dense_shortcut
        super().__init__(arch=arch, **kwargs)
        self.pos_embed.requires_grad_(learn_pos_embed)  # MDT learns its positions (sin-cos initialised)

    @property
    def supports_masking(self) -> bool:
        """Yes: its masked pass (``route`` or ``mask_ratio``), the second pass of MDT's objective."""
        return True

    @property
    def supports_routes(self) -> bool:
        """Not as DiT's single routed pass: a route here is the masked pass of MDT's two-pass objective."""
        return False

    def check_token_plan(self, plan) -> None:
        """MDT's masked pass drops tokens before the encoder for good (the side-interpolator restores them): only a
        plan that starts at block 0 and never rejoins fits (``DeferredMasking(start=0)``)."""
        if plan.start != 0 or plan.stop is not None:
            raise ValueError(f"{plan!r} does not fit MDT's masked pass, which drops tokens before the encoder: use "
                             "dict(type='DeferredMasking', start=0)")  # fmt: skip

    @property
    def supports_alignment(self) -> bool:
        """No: its forward (encoder, side-interpolator, decoder) has no ``forward_with_tokens``."""
        return False

    def _block(self, hidden_size: int, num_heads: int, mlp_ratio: float, skip: bool = False) -> MDTBlock:
        return MDTBlock(hidden_size, num_heads, self.grid_size, mlp_ratio, skip=skip, rel_pos_bias=self.rel_pos_bias,
                        cross_attn=self._cross_attention(hidden_size, num_heads))  # fmt: skip

    def _build_blocks(self, hidden_size: int, depth: int, num_heads: int, mlp_ratio: float) -> None:
        if not 0 <= self.decode_layers < depth:
            raise ValueError(f'decode_layers must be in [0, depth - 1] = [0, {depth - 1}], got {self.decode_layers}')
        self.num_encoder_blocks = depth - self.decode_layers
        block = lambda skip=False: self._block(hidden_size, num_heads, mlp_ratio, skip)  # noqa: E731
        if self.version == 1:
            self.blocks = nn.ModuleList(block() for _ in range(depth))
        else:
            half = self.num_encoder_blocks // 2  # as the official code: an odd encoder depth loses one block
            if half == 0:
                raise ValueError(f'MDTv2 needs depth - decode_layers >= 2, got {self.num_encoder_blocks}')
            self.en_inblocks = nn.ModuleList(block() for _ in range(half))
            self.en_outblocks = nn.ModuleList(block(self.long_shortcut) for _ in range(half))
            self.de_blocks = nn.ModuleList(block(self.dense_shortcut) for _ in range(self.decode_layers))
        self.sideblocks = nn.ModuleList(block() for _ in range(self.side_blocks))
        num_patches = self.num_tokens
        if self.use_side_pos_embed:
            self.decoder_pos_embed = nn.Parameter(
                torch.zeros(1, num_patches, hidden_size), requires_grad=self.learn_pos_embed
            )
        else:
            self.decoder_pos_embed = None
        self.mask_token = nn.Parameter(torch.zeros(1, 1, hidden_size))

    def _adaln_blocks(self) -> List[nn.Module]:
        if self.version == 1:
            return [*self.blocks, *self.sideblocks]
        return [*self.en_inblocks, *self.en_outblocks, *self.de_blocks, *self.sideblocks]

    def _random_init(self) -> None:
        super()._random_init()
        if self.decoder_pos_embed is not None:
            self.decoder_pos_embed.data.copy_(
                get_2d_sincos_pos_embed(self.decoder_pos_embed.shape[-1], self.grid_size)[None]
            )
        nn.init.normal_(self.mask_token, std=0.02)

    def num_params(self, inference: bool = True) -> int:
        """Parameters; with ``inference`` only those sampling uses (no side-interpolator, no mask token)."""
        skip = ('sideblocks.', 'mask_token') if inference else ()
        return sum(p.numel() for n, p in self.named_parameters() if not n.startswith(skip))

    def dropped_latents(self, noise: torch.Tensor, mask_ratio: float) -> torch.Tensor:
        """(B, 1, H, W) latent-pixel mask, 1 where the masked pass with this token ``noise`` (B, N) drops the
        token (a masked-only loss weights by it)."""
        return patch_mask_to_image(dropped_tokens(noise, mask_ratio), self.grid_size, self.patch_size)

    def _add_decoder_pos(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.decoder_pos_embed if self.decoder_pos_embed is not None else x

    def side_interpolate(
        self, x: torch.Tensor, c: torch.Tensor, mask: torch.Tensor, context: Optional[Context] = None
    ) -> torch.Tensor:
        """All N tokens (B, N, D), mask tokens where ``mask`` (B, N) is 1: decoder positions are added, the side
        blocks run, and the masked shortcut m·side(x) + (1 − m)·x keeps the kept tokens' values."""
        x = self._add_decoder_pos(x)
        side = x
        for block in self.sideblocks:
            side = block(side, c, context=context)
        if not self.masked_shortcut:
            return side
        m = mask.unsqueeze(-1).to(x.dtype)
        return side * m + x * (1 - m)

    def encode(
        self,
        x: torch.Tensor,
        c: torch.Tensor,
        ids_keep: Optional[torch.Tensor] = None,
        context: Optional[Context] = None,
    ) -> torch.Tensor:
        """Encoder blocks on the tokens given (all, or the kept ones at grid positions ``ids_keep``)."""
        if self.version == 1:
            for block in self.blocks[: self.num_encoder_blocks]:
                x = block(x, c, ids_keep=ids_keep, context=context)
            return x
        skips = []
        for block in self.en_inblocks:
            x = block(x, c, ids_keep=ids_keep, context=context)
            skips.append(x)
        for block in self.en_outblocks:
            skip = skips.pop()
            x = block(x, c, skip=skip if self.long_shortcut else None, ids_keep=ids_keep, context=context)
        return x

    def decode(
        self, x: torch.Tensor, c: torch.Tensor, input_skip: torch.Tensor, context: Optional[Context] = None
    ) -> torch.Tensor:
        """Decoder blocks on all tokens; v2 fuses the embedded full input ``input_skip`` into each."""
        if self.version == 1:
            for block in self.blocks[self.num_encoder_blocks :]:
                x = block(x, c, context=context)
            return x
        for block in self.de_blocks:
            x = block(x, c, skip=input_skip if self.dense_shortcut else None, context=context)
        return x

    def forward(
        self,
        x: torch.Tensor,
        t: torch.Tensor,
        y: Optional[torch.Tensor] = None,
        mask_ratio: Optional[float] = None,
        noise: Optional[torch.Tensor] = None,
        route: Optional[TokenRoute] = None,
    ) -> torch.Tensor:
        """(B, C, H, W) noisy latents, (B,) timesteps, (B,) labels -> (B, C_out, H, W).

        A ``route`` (a token plan's, start 0, never rejoining: what ``MaskedDiffusion`` passes) runs the masked
        pass: the encoder sees the route's kept tokens and the side-interpolator restores the others. ``mask_ratio``
        > 0 draws that route here, as the official code does: per sample the tokens with the smallest ``noise``
        (B, N) are kept (uniform noise by default). The prediction still covers all tokens: MDT's masked loss is
        taken everywhere.
        """
        c = self.condition(t, y)
        context = self.context(y)  # a caption's tokens for cross-attention (text-conditioned MDT), else None
        x = self.x_embedder(x) + self.pos_embed  # (B, N, D)
        input_skip = x  # v2's dense shortcut carries the full input even in the masked pass (official behaviour)
        if mask_ratio:
            if route is not None:
                raise ValueError('give the masked pass a route or a mask_ratio, not both')
            if noise is None:
                noise = torch.rand(x.shape[:2], device=x.device)
            route = TokenRoute(torch.argsort(noise, dim=1)[:, : num_kept(self.num_tokens, mask_ratio)], start=0)
        if route is not None:
            if route.start != 0 or route.rejoins:
                raise ValueError(f"MDT's masked pass drops tokens before the encoder for good; got a route over "
                                 f'blocks {route.start}..{route.stop}')  # fmt: skip
            mask = 1.0 - route.kept_mask(self.num_tokens).to(x.dtype)  # (B, N), 1 at the dropped tokens
            if self.asymmetric:
                kept = self.encode(route.keep(x), c, route.ids_keep, context)  # positions: the kept tokens' indices
                dtype = torch.promote_types(kept.dtype, self.mask_token.dtype)
                x = route.rejoin(kept.to(dtype), self.mask_token.to(dtype).expand(x.shape[0], self.num_tokens, -1))
            else:  # symmetric: the encoder sees every position, the dropped ones as the mask token
                m = mask.unsqueeze(-1)
                x = self.encode(x * (1 - m) + (self.mask_token + self.pos_embed) * m, c, context=context)
            x = self.side_interpolate(x, c, mask, context)
        else:
            x = self._add_decoder_pos(self.encode(x, c, context=context))
        x = self.final_layer(self.decode(x, c, input_skip, context), c)  # (B, N, p·p·C_out)
        return unpatchify(x, self.patch_size, self.grid_size, self.out_channels)
