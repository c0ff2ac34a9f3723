"""Sample-quality statistics of generative models: FID/sFID, Inception Score, precision/recall, CLIP score, prompt
following on captioned Fashion-MNIST (attribute consistency)."""

from .attribute_consistency import attribute_consistency, prompted_labels
from .clip_score import CLIPScorer, clip_preprocess
from .fid import feature_statistics, frechet_distance
from .inception_score import inception_score
from .precision_recall import precision_recall

__all__ = [
    'CLIPScorer',
    'attribute_consistency',
    'prompted_labels',
    'clip_preprocess',
    'feature_statistics',
    'frechet_distance',
    'inception_score',
    'precision_recall',
]
