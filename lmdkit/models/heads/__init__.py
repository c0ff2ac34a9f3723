"""Task heads on top of encoder features."""

from .linear_head import LinearClsHead

__all__ = ['LinearClsHead']
