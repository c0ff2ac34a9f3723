"""Feature networks of the generative metrics (registry ``FEATURE_EXTRACTORS``): ``forward(images in [0, 1])``
returns a dict with at least ``pool`` (N, D) features, and ``logits`` where the network classifies."""

from .classifier import ClassifierFeatures
from .inception import InceptionV3FID, build_fid_inception

__all__ = ['ClassifierFeatures', 'InceptionV3FID', 'build_fid_inception']
