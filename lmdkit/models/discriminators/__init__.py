"""Discriminators for adversarial autoencoder training (registry ``MODELS``)."""

from .patch_gan import PatchDiscriminator

__all__ = ['PatchDiscriminator']
