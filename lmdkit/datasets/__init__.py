"""Datasets (registry ``DATASETS``) and transforms (registry ``TRANSFORMS``)."""

from .fashion_mnist import EmbeddedFashionMNIST, FashionMNIST
from .idx import read_idx, write_idx
from .image_folder import ImageNet, UnlabeledImageFolder
from .latent_cache import LatentCacheDataset
from .lsun import LSUN
from .transforms import ExpandChannels, LoadImage, PackInputs, RandomResizedCrop

__all__ = [
    'LSUN',
    'LatentCacheDataset',
    'EmbeddedFashionMNIST',
    'ExpandChannels',
    'FashionMNIST',
    'ImageNet',
    'LoadImage',
    'PackInputs',
    'RandomResizedCrop',
    'UnlabeledImageFolder',
    'read_idx',
    'write_idx',
]
