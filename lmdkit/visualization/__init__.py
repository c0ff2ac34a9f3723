"""Plots and image grids for runs (loss curves, reconstructions). A leaf of the layer order: it imports only
``lmdkit.utils``, so hooks, apis and tools can use it and importing a model never loads matplotlib."""

from .bars import plot_score_bars
from .curves import (
    generative_history,
    plot_loss_and_mask_ratio,
    plot_record_series,
    plot_val_metric,
    read_record,
    read_val_history,
)
from .grids import save_image_rows

__all__ = [
    'generative_history',
    'plot_loss_and_mask_ratio',
    'plot_record_series',
    'plot_score_bars',
    'plot_val_metric',
    'read_record',
    'read_val_history',
    'save_image_rows',
]
