"""Datasets (registry ``DATASETS``) and transforms (registry ``TRANSFORMS``)."""

from .captions import CaptionFolder, CaptionTarShards, CocoCaptions
from .fashion_mnist import EmbeddedFashionMNIST, FashionMNIST
from .idx import read_idx, write_idx
from .image_folder import ImageNet, UnlabeledImageFolder
from .latent_cache import LatentCacheDataset
from .lsun import LSUN
from .samplers import EpochInfiniteSampler
from .transforms import (
    ExpandChannels,
    LoadImage,
    LoadRandomResizedCrop,
    PackInputs,
    RandomResizedCrop,
    ResizeCenterCrop,
)

__all__ = [
    'LSUN',
    'CaptionFolder',
    'CaptionTarShards',
    'CocoCaptions',
    'LatentCacheDataset',
    'EmbeddedFashionMNIST',
    'EpochInfiniteSampler',
    'ExpandChannels',
    'FashionMNIST',
    'ImageNet',
    'LoadImage',
    'LoadRandomResizedCrop',
    'PackInputs',
    'RandomResizedCrop',
    'ResizeCenterCrop',
    'UnlabeledImageFolder',
    'read_idx',
    'write_idx',
]
