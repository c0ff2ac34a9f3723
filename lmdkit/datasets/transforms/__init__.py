"""Data transforms registered in ``TRANSFORMS`` (mmcv's Resize/RandomFlip are used as they are)."""

from .augment import RandAugment
from .formatting import PackInputs
from .loading import LoadImage, LoadRandomResizedCrop
from .processing import ExpandChannels, RandomResizedCrop, ResizeCenterCrop

__all__ = [
    'ExpandChannels',
    'LoadImage',
    'LoadRandomResizedCrop',
    'PackInputs',
    'RandAugment',
    'RandomResizedCrop',
    'ResizeCenterCrop',
]
