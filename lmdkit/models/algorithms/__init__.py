"""Algorithms: compositions of projector, backbone, neck and loss (registry ``MODELS``)."""

from .lmd import LMD

__all__ = ['LMD']
