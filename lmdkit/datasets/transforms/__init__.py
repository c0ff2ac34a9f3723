"""Data transforms registered in ``TRANSFORMS`` (mmcv's Resize/RandomFlip are used as they are)."""

from .augment import RandAugment
from .formatting import PackInputs
from .loading import LoadImage
from .processing import ExpandChannels, RandomResizedCrop

__all__ = ['ExpandChannels', 'LoadImage', 'PackInputs', 'RandAugment', 'RandomResizedCrop']
