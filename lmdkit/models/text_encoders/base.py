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
        self._empty: Optional[TextEmbedding] = None  # a frozen encoder's empty-caption embedding, computed once

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

    def embed_batch(self, data_samples: Optional[dict], dropout: float = 0.0) -> TextEmbedding:
        """The batch's caption embedding, a share ``dropout`` of its rows replaced by the empty caption's
        (classifier-free guidance's unconditional branch): read from the batch when it carries cached embeddings
        (``text_tokens``/``text_mask``/``text_pooled``: a latent cache written with ``--text`` by this same frozen
        encoder, which ``LatentCacheDataset`` checks), else encoded from ``data_samples['caption']``. Both ways
        draw the dropped rows alike from torch's generator."""
        if not (isinstance(data_samples, dict) and 'text_tokens' in data_samples):
            return self(drop_captions(batch_captions(data_samples), dropout))
        if not self.frozen:
            raise ValueError(f'the batch carries cached caption embeddings, but {type(self).__name__} is trained '
                             'with the model: set the dataset\'s text_encoder=False (captions are encoded in the '
                             'step)')  # fmt: skip
        tokens, mask, pooled = (data_samples[k] for k in ('text_tokens', 'text_mask', 'text_pooled'))
        device, dtype = self.device, next(self.parameters()).dtype
        cached = TextEmbedding(tokens.to(device, dtype), mask.to(device).bool(), pooled.to(device, dtype))
        if not dropout:
            return cached
        drop = torch.rand(tokens.shape[0]) < dropout  # on the host, as drop_captions draws it
        if not drop.any():
            return cached
        if self._empty is None or self._empty.tokens.device != device:
            with torch.autocast(device.type, enabled=False):
                self._empty = TextEmbedding(*(x.detach() for x in self([''])))  # (1, L, D) ...: frozen, fixed
        drop = drop.to(device)
        return TextEmbedding(*(torch.where(drop.view(-1, *[1] * (c.dim() - 1)), e, c)
                               for c, e in zip(cached, self._empty)))  # fmt: skip

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
