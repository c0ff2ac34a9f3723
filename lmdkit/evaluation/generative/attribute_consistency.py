"""Prompt following of text-to-image samples on captioned Fashion-MNIST: does each generated image show the class
and the attributes its caption asked for, measured by the functions that wrote the training captions."""

from typing import Dict, Sequence

import numpy as np
import torch

from lmdkit.datasets.fmnist_captions import ATTRIBUTE_WORDS, attribute_words, parse_caption


def prompted_labels(captions: Sequence[str]) -> torch.Tensor:
    """(N,) class indices named by captions of the captioned-Fashion-MNIST form; a caption of another form fails."""
    parsed = [parse_caption(c) for c in captions]
    bad = [c for c, p in zip(captions, parsed) if p is None]
    if bad:
        raise ValueError(f'{len(bad)} captions are not of the form "a <brightness> <size> <texture> <class>" '
                         f'(tools/data/make_fmnist_captions.py), e.g. {bad[0]!r}')  # fmt: skip
    return torch.tensor([p['label'] for p in parsed])


def attribute_consistency(
    images: torch.Tensor, captions: Sequence[str], thresholds: Dict[str, Sequence[float]]
) -> Dict[str, float]:
    """uint8 (N, 1, H, W) samples and their prompts -> the share of samples whose measured attribute (split at the
    prompted class's training median) is the prompted word: ``attr-brightness``, ``attr-area``, ``attr-texture``,
    and their mean ``attribute_consistency``."""
    if len(images) != len(captions):
        raise ValueError(f'{len(images)} images but {len(captions)} captions')
    labels = prompted_labels(captions).numpy()
    parsed = [parse_caption(c) for c in captions]
    measured = attribute_words(images.numpy(), labels, thresholds)
    out = {}
    for name in ATTRIBUTE_WORDS:
        asked = np.array([p[name] for p in parsed])
        out[f'attr-{name}'] = float((measured[name] == asked).mean())
    out['attribute_consistency'] = float(np.mean([out[f'attr-{name}'] for name in ATTRIBUTE_WORDS]))
    return out
