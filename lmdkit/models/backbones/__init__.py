"""Backbones (registry ``MODELS``)."""

from .vit_mae import VIT_ARCHS, MAEViT

__all__ = ['VIT_ARCHS', 'MAEViT']
