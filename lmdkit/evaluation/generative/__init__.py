"""Sample-quality statistics of generative models: FID/sFID, Inception Score, precision/recall, CLIP score."""

from .clip_score import CLIPScorer, clip_preprocess
from .fid import feature_statistics, frechet_distance
from .inception_score import inception_score
from .precision_recall import precision_recall

__all__ = [
    'CLIPScorer',
    'clip_preprocess',
    'feature_statistics',
    'frechet_distance',
    'inception_score',
    'precision_recall',
]
