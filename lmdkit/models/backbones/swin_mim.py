"""The Swin encoder that masked image modelling builds on (SimMIM, GreenMIM): timm's ``SwinTransformer`` and the
geometry ``LMD``'s backbone contract asks for, with one prediction patch — and one mask unit — per last-stage token."""

from typing import Optional, Sequence, Set, Tuple, Union

from mmengine.model import BaseModule, initialize
from timm.models.swin_transformer import SwinTransformer


class MaskedSwin(BaseModule):
    """timm's ``SwinTransformer`` (``swin``) plus the prediction-patch geometry: ``unit`` first-stage tokens per
    side of a last-stage token (2^(stages − 1)), ``patch_size`` its side on the input (the encoder stride, 32 for
    Swin-B), ``grid_size``/``num_patches`` the grid of prediction patches.

    Args:
        img_size, patch_size, in_channels, embed_dim, depths, num_heads, window_size, mlp_ratio, drop_path_rate:
            timm's ``SwinTransformer`` arguments (Swin-B: 128, (2, 2, 18, 2), (4, 8, 16, 32)).
        init_cfg: e.g. ``dict(type='PretrainedEncoder', checkpoint=..., prefix='backbone.')`` to start a classifier
            from a SimMIM/GreenMIM pretraining checkpoint; applied once, by ``init_weights``.
    """

    def __init__(
        self,
        img_size: Union[int, Sequence[int]] = 224,
        patch_size: int = 4,
        in_channels: int = 3,
        embed_dim: int = 128,
        depths: Sequence[int] = (2, 2, 18, 2),
        num_heads: Sequence[int] = (4, 8, 16, 32),
        window_size: int = 7,
        mlp_ratio: float = 4.0,
        drop_path_rate: float = 0.0,
        init_cfg: Optional[dict] = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        self.swin = SwinTransformer(img_size=img_size, patch_size=patch_size, in_chans=in_channels, num_classes=0,
                                    embed_dim=embed_dim, depths=tuple(depths), num_heads=tuple(num_heads),
                                    window_size=window_size, mlp_ratio=mlp_ratio,
                                    drop_path_rate=drop_path_rate)  # fmt: skip
        self.in_channels, self.embed_dim = in_channels, embed_dim
        self.token_grid: Tuple[int, int] = tuple(self.swin.patch_embed.grid_size)
        self.unit = 2 ** (len(depths) - 1)
        if any(g % self.unit for g in self.token_grid):
            raise ValueError(f'the {self.token_grid} token grid does not split into {self.unit}x{self.unit} units '
                             f'(img_size / patch_size must be a multiple of 2^(stages - 1))')  # fmt: skip
        self.patch_size = patch_size * self.unit
        self.grid_size: Tuple[int, int] = (self.token_grid[0] // self.unit, self.token_grid[1] // self.unit)
        self.num_patches = self.grid_size[0] * self.grid_size[1]
        self.out_dim, self.num_prefix_tokens = self.swin.num_features, 0  # last-stage tokens, no class token
        self.stage_depths = tuple(depths)
        self.depth = sum(self.stage_depths)  # blocks over all stages: what layer-wise lr decay counts

    def init_weights(self) -> None:
        """timm initialises the Swin at construction; only ``init_cfg`` (pretrained weights) is applied here, once,
        so building never needs the file. MMEngine's own traversal is skipped: it would then call timm's
        ``SwinTransformer.init_weights`` and re-draw the loaded weights."""
        if self.init_cfg and not self.is_init:
            initialize(self, self.init_cfg)
        self._is_init = True

    def get_layer_id(self, name: str) -> int:
        """SimMIM's Swin fine-tuning layer ids (its ``get_swin_layer``): the mask token and patch embedding 0, block
        j of stage i → (blocks of the stages before) + j + 1, a patch merging → the id of the block just before it,
        everything after the last block (final norm) → depth + 1. timm opens stage i with its merging layer
        (``layers.i.downsample``) where SimMIM's Swin closes stage i − 1 with it: the same place in the network."""
        if name == 'mask_token' or name.startswith('swin.patch_embed'):
            return 0
        if name.startswith('swin.layers.'):
            parts = name.split('.')
            before = sum(self.stage_depths[: int(parts[2])])  # blocks of the stages before this one
            if parts[3] == 'downsample':
                return before
            return before + int(parts[4]) + 1
        return self.depth + 1

    def no_weight_decay(self) -> Set[str]:
        """Swin's relative-position tables are exempt from weight decay (SimMIM, GreenMIM)."""
        return {f'swin.{n}' for n, _ in self.swin.named_parameters() if 'relative_position_bias_table' in n}
