"""Smoothing of noisy per-iteration series: the one definition used by the efficiency metrics and the plots."""

from typing import Sequence

import numpy as np


def ema_smooth(values: Sequence[float], span: int = 50) -> np.ndarray:
    """Bias-corrected exponential moving average (pandas' ``ewm(span=span).mean()``), α = 2 / (span + 1).

    y_t = Σ_i (1 − α)^i x_{t−i} / Σ_i (1 − α)^i over the values seen so far, so the first values are not pulled
    towards x_0 as an uncorrected EMA would be.
    """
    values = np.asarray(values, dtype=np.float64)
    decay = 1.0 - 2.0 / (span + 1.0)
    out = np.empty_like(values)
    num = den = 0.0
    for i, x in enumerate(values):
        num, den = x + decay * num, 1.0 + decay * den
        out[i] = num / den
    return out
