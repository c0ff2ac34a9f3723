"""MAE's ViT encoder (He et al., 2022): patch embedding, fixed 2-D sin-cos positions, random masking.

Keys follow the official MAE / timm layout (``cls_token``, ``pos_embed``, ``patch_embed.proj``, ``blocks.i.*``,
``norm``), so release checkpoints load by prefix. With a latent projector in front, ``in_channels`` is the latent
channel count and ``img_size`` the latent size (LMD: 28×28×4 with patch 4 → 49 tokens).
"""

from functools import partial
from typing import Dict, Optional, Sequence, Set, Tuple, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from timm.models.vision_transformer import Block

from lmdkit.registry import MODELS

from ..example import ComponentExample, example_noise, weighted_mean
from ..layers import Attention, PatchEmbed, get_2d_sincos_pos_embed, init_vit_weights, random_masking

#: arch -> (embed_dim, depth, num_heads); 'p' ("pico") is our CPU test size.
VIT_ARCHS: Dict[str, Tuple[int, int, int]] = {
    'p': (128, 4, 4),
    't': (192, 12, 3),
    's': (384, 12, 6),
    'b': (768, 12, 12),
    'l': (1024, 24, 16),
    'h': (1280, 32, 16),
}


def resolve_arch(arch: str, embed_dim: Optional[int], depth: Optional[int], num_heads: Optional[int]) -> tuple:
    """Fill unset width/depth/heads from a named arch; explicit values win."""
    if arch not in VIT_ARCHS:
        raise ValueError(
            f"unknown ViT arch '{arch}'; choose one of {sorted(VIT_ARCHS)} or set embed_dim/depth/num_heads"
        )
    d, n, h = VIT_ARCHS[arch]
    return embed_dim or d, depth or n, num_heads or h


@MODELS.register_module()
class MAEViT(BaseModule):
    """ViT encoder that runs on the visible tokens only (MAE), or on all tokens when ``mask_ratio == 0``.

    Args:
        arch: named size ('p', 't', 's', 'b', 'l', 'h'); ``embed_dim``/``depth``/``num_heads`` override it.
        img_size: input size (pixels, or latent cells behind a projector).
        patch_size: patch side on the input.
        in_channels: input channels (3 for RGB, 4 for SD-VAE latents).
        mlp_ratio: MLP hidden width / embed_dim.
        drop_path_rate: stochastic depth, linearly increasing over the blocks.
        final_norm: apply the last LayerNorm to the output tokens.
        norm_eps: LayerNorm epsilon (MAE/timm 1e-6; Hugging Face ViTMAE configs use 1e-12).
    """

    @classmethod
    def example(cls) -> ComponentExample:
        """A tiny MAEViT and its objective (``lmdkit.models.example``; the registry-wide test)."""
        return ComponentExample(
            cfg=dict(type='MAEViT', img_size=16, patch_size=4, in_channels=3, embed_dim=32, depth=2, num_heads=2),
            objective=lambda m: weighted_mean(m(example_noise(2, 3, 16, 16), 0.5)),
        )

    def __init__(
        self,
        arch: str = 'b',
        img_size: Union[int, Sequence[int]] = 224,
        patch_size: int = 16,
        in_channels: int = 3,
        embed_dim: Optional[int] = None,
        depth: Optional[int] = None,
        num_heads: Optional[int] = None,
        mlp_ratio: float = 4.0,
        drop_path_rate: float = 0.0,
        final_norm: bool = True,
        norm_eps: float = 1e-6,
        init_cfg: Optional[dict] = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        embed_dim, depth, num_heads = resolve_arch(arch, embed_dim, depth, num_heads)
        self.embed_dim, self.depth, self.patch_size, self.in_channels = embed_dim, depth, patch_size, in_channels
        self.out_dim, self.num_prefix_tokens = embed_dim, 1  # its tokens: the class token, then the patches
        self.patch_embed = PatchEmbed(img_size, patch_size, in_channels, embed_dim)
        self.grid_size: Tuple[int, int] = tuple(self.patch_embed.grid_size)
        self.num_patches = self.patch_embed.num_patches
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dim))
        # Fixed sin-cos table; a (frozen) parameter rather than a buffer so MAE checkpoints load as they are.
        self.pos_embed = nn.Parameter(torch.zeros(1, self.num_patches + 1, embed_dim), requires_grad=False)
        dpr = torch.linspace(0, drop_path_rate, depth).tolist()
        norm_layer = partial(nn.LayerNorm, eps=norm_eps)
        self.blocks = nn.ModuleList(
            Block(
                embed_dim,
                num_heads,
                mlp_ratio,
                qkv_bias=True,
                drop_path=dpr[i],
                norm_layer=norm_layer,
                attn_layer=Attention,
            )
            for i in range(depth)
        )
        self.norm = norm_layer(embed_dim) if final_norm else nn.Identity()
        self._random_init()

    def _random_init(self) -> None:
        """MAE init: sin-cos positions, xavier patch projection (as a linear), N(0, 0.02) class token."""
        self.pos_embed.data.copy_(get_2d_sincos_pos_embed(self.embed_dim, self.grid_size, cls_token=True)[None])
        w = self.patch_embed.proj.weight.data
        nn.init.xavier_uniform_(w.view(w.shape[0], -1))
        nn.init.normal_(self.cls_token, std=0.02)
        self.blocks.apply(init_vit_weights)
        self.norm.apply(init_vit_weights)
        nn.init.zeros_(self.patch_embed.proj.bias)

    def init_weights(self) -> None:
        """The random MAE init happens at construction; this applies ``init_cfg`` (e.g. ``PretrainedEncoder``)
        once, when the runner initialises the model, so building a model never needs the pretrained file."""
        if self.init_cfg and not self.is_init:
            super().init_weights()
        self._is_init = True

    def forward(
        self, x: torch.Tensor, mask_ratio: float = 0.0, noise: Optional[torch.Tensor] = None
    ) -> Tuple[torch.Tensor, Optional[torch.Tensor], Optional[torch.Tensor]]:
        """Encode (B, C, H, W) inputs.

        Returns:
            tokens (B, 1 + kept, D) with the class token first; mask (B, L), 1 = dropped, or None when nothing
            is masked; ids_restore (B, L) or None.
        """
        x = self.patch_embed(x) + self.pos_embed[:, 1:]  # (B, L, D)
        mask = ids_restore = None
        if mask_ratio > 0:
            x, mask, ids_restore = random_masking(x, mask_ratio, noise)  # (B, kept, D)
        cls = (self.cls_token + self.pos_embed[:, :1]).expand(x.shape[0], -1, -1)
        x = torch.cat([cls, x], dim=1)  # (B, 1 + kept, D)
        for block in self.blocks:
            x = block(x)
        return self.norm(x), mask, ids_restore

    def no_weight_decay(self) -> Set[str]:
        """Parameter names exempt from weight decay (as in MAE/timm)."""
        return {'pos_embed', 'cls_token'}

    def get_layer_id(self, name: str) -> int:
        """MAE's ``lr_decay`` layer ids: embeddings 0, block i → i + 1, everything after → depth + 1."""
        if name in ('cls_token', 'pos_embed', 'mask_token') or name.startswith('patch_embed'):
            return 0
        if name.startswith('blocks.'):
            return int(name.split('.')[1]) + 1
        return self.depth + 1
