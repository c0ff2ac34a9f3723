"""Building the frozen projector an algorithm puts in front of its network."""

from typing import Optional

from lmdkit.registry import MODELS

from .base import BaseProjector


def build_frozen_projector(cfg: Optional[dict]) -> BaseProjector:
    """Build ``cfg`` (default: the identity) and freeze it."""
    projector = MODELS.build(cfg or dict(type='IdentityProjector'))
    projector.freeze()
    return projector


def check_latent_channels(projector: BaseProjector, consumer_channels: int, consumer: str) -> None:
    """Fail unless ``consumer`` (e.g. 'backbone') takes the projector's latent channels as input."""
    if consumer_channels != projector.latent_channels:
        raise ValueError(
            f'{consumer}.in_channels={consumer_channels} but the projector {type(projector).__name__} gives '
            f'{projector.latent_channels}-channel latents; set {consumer}.in_channels to the latent channel count'
        )
