"""The text-encoder contract of text-to-image training: captions in, per-token states, their mask and one pooled
vector out, for cross-attention (tokens) and adaLN (pooled)."""

from abc import ABC, abstractmethod
from typing import Dict, List, Optional, Sequence

import torch
import torch.nn as nn

from ..layers.text_conditioning import TextEmbedding


class BaseTextEncoder(nn.Module, ABC):
    """Captions -> ``TextEmbedding``: ``forward(captions)`` is ``encode(**tokenize(captions))``.

    ``dim`` is the token width, ``max_length`` the padded sequence length (every batch has exactly ``max_length``
    tokens, so embeddings of different batches stack, and a cache stores fixed shapes). A frozen encoder stays in
    eval mode without gradients (``train()`` keeps it there); a trainable one learns with the model.
    """

    dim: int
    max_length: int
    frozen: bool

    def __init__(self) -> None:
        super().__init__()
        self.weights_loaded = False

    @abstractmethod
    def tokenize(self, captions: Sequence[str]) -> Dict[str, torch.Tensor]:
        """``input_ids`` (B, max_length) long and ``attention_mask`` (B, max_length) on this module's device."""

    @abstractmethod
    def encode(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> TextEmbedding:
        """Token ids -> embedding."""

    def forward(self, captions: Sequence[str]) -> TextEmbedding:
        if isinstance(captions, str):
            raise TypeError(f'{type(self).__name__} takes a sequence of captions, got one str: wrap it in a list')
        tokens = self.tokenize(list(captions))
        if self.frozen:
            with torch.no_grad():
                return self.encode(**tokens)
        return self.encode(**tokens)

    def freeze(self) -> None:
        """No gradients, eval mode for good."""
        for p in self.parameters():
            p.requires_grad_(False)
        super().train(False)

    def train(self, mode: bool = True) -> 'BaseTextEncoder':
        return super().train(mode and not self.frozen)

    def init_weights(self) -> None:
        """Read the pretrained weights (once; the runner calls this through the algorithm) and keep a frozen
        encoder frozen."""
        if not self.weights_loaded:
            self.load_weights()
            self.weights_loaded = True
        if self.frozen:
            self.freeze()

    def load_weights(self) -> None:
        """Load pretrained weights into the built architecture (a missing file fails naming it); none by default."""

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device


def masked_mean(tokens: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """(B, L, D), (B, L) bool -> (B, D): the mean over real tokens."""
    weights = mask.to(tokens.dtype).unsqueeze(-1)
    return (tokens * weights).sum(1) / weights.sum(1).clamp_min(1)


def batch_captions(data_samples: Optional[dict]) -> List[str]:
    """The batch's captions (``data_samples['caption']``, a list of str), or an error saying how to provide them."""
    captions = data_samples.get('caption') if isinstance(data_samples, dict) else None
    if captions is None or isinstance(captions, str):
        raise ValueError("a text-conditioned model needs captions: data_samples['caption'] as a list of str (a "
                         "caption dataset with PackInputs(meta_keys=('caption', ...)))")  # fmt: skip
    return list(captions)


def drop_captions(captions: Sequence[str], p: float) -> List[str]:
    """A share ``p`` of the captions (drawn from torch's generator) replaced by the empty caption: classifier-free
    guidance's unconditional branch is the empty caption's embedding."""
    if not p:
        return list(captions)
    drop = (torch.rand(len(captions)) < p).tolist()
    return ['' if d else c for c, d in zip(captions, drop)]
