"""Weight initialisation following MAE: xavier-uniform linears, unit LayerNorms."""

import torch.nn as nn


def init_vit_weights(module: nn.Module) -> None:
    """Apply with ``model.apply(init_vit_weights)``: xavier-uniform Linear (zero bias), LayerNorm (1, 0)."""
    if isinstance(module, nn.Linear):
        nn.init.xavier_uniform_(module.weight)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.LayerNorm):
        if module.weight is not None:
            nn.init.ones_(module.weight)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
