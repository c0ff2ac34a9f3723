"""Image grids: original | masked input | reconstruction, one labelled row each."""

from typing import Dict, Sequence

import numpy as np
import torch
from matplotlib.figure import Figure  # a bare Figure draws with Agg: no pyplot state, no global backend switch
from torchvision.utils import make_grid


def save_image_rows(rows: Dict[str, torch.Tensor], out_file: str, title: str = '') -> str:
    """Save a labelled grid; ``rows`` maps a row name to a (B, C, H, W) uint8 batch."""
    names: Sequence[str] = list(rows)
    fig = Figure(figsize=(1.1 * rows[names[0]].shape[0] + 1.5, 1.3 * len(names) + 0.4))
    axes = fig.subplots(len(names), 1)
    axes = np.atleast_1d(axes)
    for ax, name in zip(axes, names):
        grid = make_grid(rows[name], nrow=rows[name].shape[0], padding=2, pad_value=255)  # (C, H', W')
        img = grid.permute(1, 2, 0).numpy()
        ax.imshow(img[..., 0] if img.shape[-1] == 1 else img, cmap='gray', vmin=0, vmax=255, interpolation='nearest')
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_ylabel(name, rotation=0, ha='right', va='center', fontsize=9)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(out_file, dpi=120)
    return out_file
