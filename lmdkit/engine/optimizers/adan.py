"""Adan (Xie et al., 2022), the optimiser of LMD and MDT, registered from timm's implementation."""

from timm.optim import Adan

from lmdkit.registry import OPTIMIZERS

OPTIMIZERS.register_module(name='Adan', module=Adan)

__all__ = ['Adan']
