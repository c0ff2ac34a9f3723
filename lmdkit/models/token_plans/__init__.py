"""Token plans (registry ``TOKEN_PLANS``): which tokens each block of a transformer denoiser sees in a training step."""

from .base import TokenPlan, TokenRoute
from .deferred import DeferredMasking
from .routing import TokenRouting
from .sprint import SparseDenseRouting

__all__ = ['DeferredMasking', 'SparseDenseRouting', 'TokenPlan', 'TokenRoute', 'TokenRouting']
