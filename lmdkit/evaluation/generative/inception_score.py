"""Inception Score (Salimans et al., 2016): exp(E_x KL(p(y|x) ‖ p(y))), mean and std over splits."""

from typing import Tuple

import numpy as np


def inception_score(probs: np.ndarray, splits: int = 10) -> Tuple[float, float]:
    """IS of (N, K) class probabilities (softmax outputs), averaged over ``splits`` equal chunks as the original
    and ADM's evaluator do (ADM: 10 splits of 5,000). Uniform predictions give exactly 1."""
    probs = np.asarray(probs, dtype=np.float64)
    if probs.ndim != 2 or len(probs) < splits:
        raise ValueError(f'need (N >= splits, K) probabilities, got shape {probs.shape} with {splits} splits')
    scores = []
    for part in np.array_split(probs, splits):
        marginal = part.mean(axis=0, keepdims=True)
        kl = (part * (np.log(part + 1e-12) - np.log(marginal + 1e-12))).sum(axis=1)
        scores.append(np.exp(kl.mean()))
    return float(np.mean(scores)), float(np.std(scores))
