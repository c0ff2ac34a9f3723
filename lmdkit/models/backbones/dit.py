"""DiT (Peebles & Xie, 2023): a ViT denoiser on latent patches, conditioned on timestep + class by adaLN-Zero.

Module and key names follow the official ``models.py`` (``x_embedder``, ``t_embedder``, ``y_embedder``,
``blocks.i.adaLN_modulation``, ``final_layer``), so released DiT checkpoints load strictly. With ``text_dim`` the
condition is a caption instead of a class (PixArt-α's design): cross-attention to its tokens after each block's
self-attention, and its pooled vector added to the timestep embedding; the class-conditional model is unchanged.
"""

from typing import Dict, List, Optional, Tuple

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from timm.layers import Mlp

from lmdkit.registry import MODELS

from ..example import ComponentExample, denoiser_objective
from ..layers import (
    Attention,
    Context,
    CrossAttention,
    LabelEmbedder,
    PatchEmbed,
    TextEmbedder,
    TimestepEmbedder,
    get_2d_sincos_pos_embed,
    unpatchify,
)
from ..token_plans import TokenRoute

#: arch -> (hidden size, depth, heads): the paper's S/B/L/XL, and 'p' ("pico") for CPU runs.
DIT_ARCHS: Dict[str, Tuple[int, int, int]] = {
    'p': (128, 4, 4),
    'S': (384, 12, 6),
    'B': (768, 12, 12),
    'L': (1024, 24, 16),
    'XL': (1152, 28, 16),
}


def multiply_add(a: torch.Tensor, b: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
    """a·b + c (broadcast): one ``addcmul`` pass when the three share a dtype, which on CPU roughly halved a DiT-S/2
    gated residual's forward + backward in fp32 (sequential micro-benchmark, not paired); under autocast, where the
    operands mix bf16 and fp32, mixed ``addcmul`` is slower than the two plain ops, so those stay."""
    if a.dtype == b.dtype == c.dtype:
        return torch.addcmul(c, a, b)
    return a * b + c


def modulate(x: torch.Tensor, shift: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """adaLN: x·(1 + scale) + shift, per sample. x (B, N, D), shift/scale (B, D)."""
    return multiply_add(x, 1 + scale.unsqueeze(1), shift.unsqueeze(1))


def gated_residual(x: torch.Tensor, gate: torch.Tensor, branch: torch.Tensor) -> torch.Tensor:
    """adaLN-Zero's residual update x + gate·branch, per sample. x/branch (B, N, D), gate (B, D)."""
    return multiply_add(branch, gate.unsqueeze(1), x)


class DiTBlock(nn.Module):
    """Pre-norm transformer block whose norms are modulated, and residual branches gated, by the condition; with
    ``cross_attn``, attention to a caption's tokens between self-attention and the MLP (PixArt-α: unnormalised,
    ungated, its output projection zero at init)."""

    def __init__(
        self,
        hidden_size: int,
        num_heads: int,
        mlp_ratio: float = 4.0,
        attn: Optional[nn.Module] = None,
        cond_size: Optional[int] = None,
        cross_attn: Optional[CrossAttention] = None,
    ) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(hidden_size, elementwise_affine=False, eps=1e-6)
        # fused-qkv attention (timm's, on dot_product_attention) unless a variant (MDT's relative-position one) is given
        self.attn = attn if attn is not None else Attention(hidden_size, num_heads=num_heads, qkv_bias=True)
        self.norm2 = nn.LayerNorm(hidden_size, elementwise_affine=False, eps=1e-6)
        self.mlp = Mlp(hidden_size, int(hidden_size * mlp_ratio), act_layer=lambda: nn.GELU(approximate='tanh'))
        # the condition's width is the block's own, except in MaskDiT's narrower decoder
        self.adaLN_modulation = nn.Sequential(nn.SiLU(), nn.Linear(cond_size or hidden_size, 6 * hidden_size))
        if cross_attn is not None:  # only then: class-conditional blocks keep the official keys exactly
            self.cross_attn = cross_attn

    def forward(self, x: torch.Tensor, c: torch.Tensor, context: Optional[Context] = None, **attn_kwargs):
        shift_msa, scale_msa, gate_msa, shift_mlp, scale_mlp, gate_mlp = self.adaLN_modulation(c).chunk(6, dim=1)
        x = gated_residual(x, gate_msa, self.attn(modulate(self.norm1(x), shift_msa, scale_msa), **attn_kwargs))
        if context is not None:
            x = x + self.cross_attn(x, *context)
        return gated_residual(x, gate_mlp, self.mlp(modulate(self.norm2(x), shift_mlp, scale_mlp)))


class FinalLayer(nn.Module):
    """Modulated norm and a linear map from tokens to patches (p·p·C_out)."""

    def __init__(self, hidden_size: int, patch_size: int, out_channels: int, cond_size: Optional[int] = None) -> None:
        super().__init__()
        self.norm_final = nn.LayerNorm(hidden_size, elementwise_affine=False, eps=1e-6)
        self.linear = nn.Linear(hidden_size, patch_size * patch_size * out_channels)
        self.adaLN_modulation = nn.Sequential(nn.SiLU(), nn.Linear(cond_size or hidden_size, 2 * hidden_size))

    def forward(self, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        shift, scale = self.adaLN_modulation(c).chunk(2, dim=1)
        return self.linear(modulate(self.norm_final(x), shift, scale))


@MODELS.register_module()
class DiT(BaseModule):
    """Diffusion transformer ε_θ(x_t, t, y).

    Args:
        arch: 'p', 'S', 'B', 'L' or 'XL'; ``hidden_size``/``depth``/``num_heads`` override it.
        input_size: latent side (32 for 256 px SD-VAE latents, 8 for our f4 Fashion-MNIST latents).
        patch_size: 2, 4 or 8 (DiT-XL/2 = patch 2).
        in_channels: latent channels.
        num_classes: classes of the condition; 0 = unconditional (or text-conditioned).
        class_dropout_prob: share of labels replaced by the null class in training (classifier-free guidance).
        text_dim: width of the caption embedding it is conditioned on (the text encoder's ``dim``; needs
            ``num_classes=0``); 0 = none. Captions are dropped for guidance by the algorithm (``caption_dropout``).
        learn_sigma: output twice the channels (ε and the variance interpolation), as the released weights do.
    """

    @classmethod
    def example(cls) -> ComponentExample:
        """A tiny DiT and its objective (``lmdkit.models.example``; the registry-wide test)."""
        return ComponentExample(
            cfg=dict(
                type='DiT',
                arch='p',
                hidden_size=32,
                depth=2,
                num_heads=2,
                input_size=8,
                patch_size=2,
                in_channels=1,
                num_classes=10,
                class_dropout_prob=0.1,
                learn_sigma=True,
            ),  # fmt: skip
            objective=lambda m: denoiser_objective(m),
        )

    def __init__(
        self,
        arch: str = 'XL',
        input_size: int = 32,
        patch_size: int = 2,
        in_channels: int = 4,
        hidden_size: Optional[int] = None,
        depth: Optional[int] = None,
        num_heads: Optional[int] = None,
        mlp_ratio: float = 4.0,
        num_classes: int = 1000,
        class_dropout_prob: float = 0.1,
        learn_sigma: bool = True,
        text_dim: int = 0,
        init_cfg: Optional[dict] = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        if text_dim and num_classes:
            raise ValueError(f'a text-conditioned {type(self).__name__} has no classes: set num_classes=0 with '
                             f'text_dim={text_dim}')  # fmt: skip
        if arch not in DIT_ARCHS:
            raise ValueError(f"unknown DiT arch '{arch}'; choose one of {sorted(DIT_ARCHS)}")
        d, n, h = DIT_ARCHS[arch]
        hidden_size, depth, num_heads = hidden_size or d, depth or n, num_heads or h
        self.in_channels, self.patch_size, self.num_classes = in_channels, patch_size, num_classes
        self.hidden_size = hidden_size
        self.out_channels = in_channels * 2 if learn_sigma else in_channels
        self.learn_sigma = learn_sigma
        self.x_embedder = PatchEmbed(input_size, patch_size, in_channels, hidden_size, bias=True)
        self.grid_size: Tuple[int, int] = tuple(self.x_embedder.grid_size)
        self.t_embedder = TimestepEmbedder(hidden_size)
        self.y_embedder = LabelEmbedder(num_classes, hidden_size, class_dropout_prob) if num_classes > 0 else None
        self.text_dim = text_dim
        self.text_embedder = TextEmbedder(text_dim, hidden_size) if text_dim else None
        # fixed 2-D sin-cos positions (a frozen parameter, as in the official checkpoints)
        self.pos_embed = nn.Parameter(torch.zeros(1, self.x_embedder.num_patches, hidden_size), requires_grad=False)
        self._build_blocks(hidden_size, depth, num_heads, mlp_ratio)
        self.final_layer = self._build_final_layer(hidden_size, patch_size)
        self._random_init()

    @property
    def supports_masking(self) -> bool:
        """Whether ``forward`` takes ``mask_ratio`` (MDT's masked training pass)."""
        return False

    @property
    def supports_routes(self) -> bool:
        """Whether ``forward`` takes a ``TokenRoute`` (token plans: TREAD, deferred masking)."""
        return True

    def check_token_plan(self, plan) -> None:
        """Raise unless ``plan``'s routes fit this denoiser (its blocks exist)."""
        plan.check_depth(self.depth)

    @property
    def supports_path_drop(self) -> bool:
        """Whether ``forward`` takes ``path_drop`` (SPRINT's path-drop guidance)."""
        return False

    @property
    def supports_alignment(self) -> bool:
        """Whether ``forward_with_tokens`` gives the hidden tokens representation alignment (REPA) needs."""
        return True

    @property
    def rep_dim(self) -> int:
        """Width of the representation token it also denoises (REG, ``REGDiT``); 0: none."""
        return 0

    @property
    def predicts_dropped_tokens(self) -> bool:
        """Whether a route's dropped tokens get a prediction (MaskDiT's decoder) rather than zeros."""
        return False

    @property
    def depth(self) -> int:
        """Transformer blocks (what a token plan's block indices refer to)."""
        return len(self.blocks)

    @property
    def num_tokens(self) -> int:
        """Tokens per input (the patch grid's h·w)."""
        return self.grid_size[0] * self.grid_size[1]

    @property
    def null_label(self) -> int:
        """The label index that selects the unconditional embedding."""
        return self.num_classes

    @property
    def latent_shape(self) -> Tuple[int, int, int]:
        """(C, H, W) of the inputs it denoises."""
        return self.in_channels, self.grid_size[0] * self.patch_size, self.grid_size[1] * self.patch_size

    def _build_blocks(self, hidden_size: int, depth: int, num_heads: int, mlp_ratio: float) -> None:
        self.blocks = nn.ModuleList(
            DiTBlock(hidden_size, num_heads, mlp_ratio, cross_attn=self._cross_attention(hidden_size, num_heads))
            for _ in range(depth)
        )

    def _cross_attention(self, hidden_size: int, num_heads: int) -> Optional[CrossAttention]:
        return CrossAttention(hidden_size, num_heads) if self.text_dim else None

    def _build_final_layer(self, hidden_size: int, patch_size: int) -> FinalLayer:
        return FinalLayer(hidden_size, patch_size, self.out_channels)

    def _adaln_blocks(self) -> List[nn.Module]:
        """Blocks whose adaLN modulation starts at zero."""
        return list(self.blocks)

    def _random_init(self) -> None:
        """DiT's init: xavier linears, sin-cos positions, N(0, 0.02) label table and timestep MLP, zero adaLN
        modulations and output layer (each block starts as the identity)."""

        def basic(m: nn.Module) -> None:
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

        self.apply(basic)
        self.pos_embed.data.copy_(get_2d_sincos_pos_embed(self.pos_embed.shape[-1], self.grid_size)[None])
        w = self.x_embedder.proj.weight.data
        nn.init.xavier_uniform_(w.view(w.shape[0], -1))
        nn.init.zeros_(self.x_embedder.proj.bias)
        if self.y_embedder is not None:
            nn.init.normal_(self.y_embedder.embedding_table.weight, std=0.02)
        nn.init.normal_(self.t_embedder.mlp[0].weight, std=0.02)
        nn.init.normal_(self.t_embedder.mlp[2].weight, std=0.02)
        if self.text_embedder is not None:  # PixArt-α: N(0, 0.02) caption MLP, zero cross-attention output
            for mlp in (self.text_embedder.token_proj, self.text_embedder.pooled_proj):
                nn.init.normal_(mlp.fc1.weight, std=0.02)
                nn.init.normal_(mlp.fc2.weight, std=0.02)
        for block in self._adaln_blocks():
            nn.init.zeros_(block.adaLN_modulation[-1].weight)
            nn.init.zeros_(block.adaLN_modulation[-1].bias)
        for m in self.modules():
            if isinstance(m, CrossAttention):
                nn.init.zeros_(m.proj.weight)
                nn.init.zeros_(m.proj.bias)
        for layer in (self.final_layer.adaLN_modulation[-1], self.final_layer.linear):
            nn.init.zeros_(layer.weight)
            nn.init.zeros_(layer.bias)

    def init_weights(self) -> None:
        """Random init happens at construction; ``init_cfg`` (pretrained weights) is applied once here."""
        if self.init_cfg and not self.is_init:
            super().init_weights()
        self._is_init = True

    def condition(self, t: torch.Tensor, y: Optional[torch.Tensor]) -> torch.Tensor:
        """(B, D) conditioning vector: timestep embedding + label embedding (or the caption's pooled embedding)."""
        c = self.t_embedder(t)
        if self.text_embedder is not None:
            return c + self.text_embedder.pooled(y)
        if self.y_embedder is not None:
            if y is None:
                raise ValueError('a class-conditional DiT needs labels y (pass the null label for unconditional)')
            c = c + self.y_embedder(y)
        return c

    def context(self, y) -> Optional[Context]:
        """The cross-attention context of a text condition (None for labels)."""
        return self.text_embedder.context(y) if self.text_embedder is not None else None

    def forward(
        self,
        x: torch.Tensor,
        t: torch.Tensor,
        y: Optional[torch.Tensor] = None,
        route: Optional[TokenRoute] = None,
        path_drop: Optional[torch.Tensor] = None,
    ) -> torch.Tensor:
        """(B, C, H, W) noisy latents, (B,) timesteps, (B,) labels (a text-conditioned DiT: a ``TextEmbedding``)
        -> (B, C_out, H, W).

        ``route`` (training with a token plan) restricts blocks ``route.start`` … to the kept tokens; tokens that
        never rejoin (``route.stop`` None) get zeros in the output. ``path_drop`` (B,) bool: samples whose sparse
        path is skipped (SPRINT, ``SprintDiT``; a denoiser without ``supports_path_drop`` refuses it)."""
        return self.forward_with_tokens(x, t, y, route, None, path_drop)[0]

    def forward_with_tokens(
        self,
        x: torch.Tensor,
        t: torch.Tensor,
        y: Optional[torch.Tensor] = None,
        route: Optional[TokenRoute] = None,
        depth: Optional[int] = None,
        path_drop: Optional[torch.Tensor] = None,
    ) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """``forward``'s prediction and the hidden tokens after the first ``depth`` blocks (REPA's encoder depth;
        None: no tokens): (B, N, D), or the route's kept tokens (B, K, D, in ``route.ids_keep`` order) when block
        ``depth`` − 1 runs on them."""
        if depth is not None and not 1 <= depth <= self.depth:
            raise ValueError(f'depth {depth}: tokens can be taken after blocks 1..{self.depth} of this DiT')
        if path_drop is not None and not self.supports_path_drop:
            raise ValueError(f"{type(self).__name__} has no sparse path to drop (path_drop is SprintDiT's)")
        c = self.condition(t, y)
        x = self.x_embedder(x) + self.pos_embed  # (B, N, D)
        # (B, N, D), or (B, K, D) when the route never rejoins
        x, tokens = self._run_blocks(x, c, route, depth, path_drop, self.context(y))
        x = self._head(x, c, route)  # (B, N, p·p·C_out)
        return unpatchify(x, self.patch_size, self.grid_size, self.out_channels), tokens

    def _head(self, x: torch.Tensor, c: torch.Tensor, route: Optional[TokenRoute]) -> torch.Tensor:
        """Tokens -> patch predictions for every position; positions a route left out get zeros."""
        x = self.final_layer(x, c)  # (B, N or K, p·p·C_out)
        if route is not None and not route.rejoins:
            x = route.rejoin(x, x.new_zeros(x.shape[0], self.num_tokens, x.shape[-1]))
        return x

    def _run_blocks(
        self,
        x: torch.Tensor,
        c: torch.Tensor,
        route: Optional[TokenRoute],
        depth: Optional[int] = None,
        path_drop: Optional[torch.Tensor] = None,
        context: Optional[Context] = None,
    ) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """The blocks (on the route, if any); also the tokens after block ``depth`` − 1 (None without ``depth``).
        ``path_drop`` is always None here (``forward_with_tokens`` refuses it for a DiT without a sparse path).
        ``context``: a caption's tokens and key bias, attended to by every block."""
        if route is not None and (route.start >= self.depth or (route.stop is not None and route.stop > self.depth)):
            raise ValueError(f'route over blocks {route.start}..{route.stop} does not fit a DiT of {self.depth} blocks')
        tokens, full = None, x
        for i, block in enumerate(self.blocks):
            full_precision = False
            if route is not None and i == route.start:
                full, x = x, route.keep(x)  # (B, K, D); ``full`` holds every token's value from before the span
            if route is not None and i == route.stop:
                x = route.rejoin(x, full)
                # TREAD's official code: under autocast, the block after the rejoin runs in full precision
                full_precision = route.fp32_after_rejoin and torch.is_autocast_enabled(x.device.type)
            if full_precision:
                with torch.autocast(x.device.type, enabled=False):
                    ctx = None if context is None else tuple(part.float() for part in context)
                    x = block(x.float(), c.float(), ctx)
            else:
                x = block(x, c, context)
            if i + 1 == depth:
                tokens = x
        if route is not None and route.stop == len(self.blocks):
            x = route.rejoin(x, full)
        return x, tokens
