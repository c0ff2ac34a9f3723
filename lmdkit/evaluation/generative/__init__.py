"""Sample-quality statistics of generative models: FID/sFID, Inception Score, precision/recall, CLIP score, prompt
following on captioned Fashion-MNIST (attribute consistency), LPIPS to the caption's reference image."""

from .attribute_consistency import attribute_consistency, prompted_labels
from .clip_score import CLIPScorer, clip_preprocess
from .fid import feature_statistics, frechet_distance
from .inception_score import inception_score
from .paired_lpips import caption_references, paired_lpips
from .precision_recall import precision_recall

__all__ = [
    'CLIPScorer',
    'attribute_consistency',
    'caption_references',
    'prompted_labels',
    'clip_preprocess',
    'feature_statistics',
    'frechet_distance',
    'inception_score',
    'paired_lpips',
    'precision_recall',
]
