"""Any lmdkit ``ImageClassifier`` as a feature network: FID-FMNIST and the class consistency of conditional samples.

Numbers from such a network are only comparable with numbers from the same network and weights — never with
Inception FIDs. The results name the feature network so tables cannot mix them up.
"""

from typing import Dict, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from lmdkit.models.builder import build_model
from lmdkit.registry import FEATURE_EXTRACTORS


@FEATURE_EXTRACTORS.register_module()
class ClassifierFeatures(nn.Module):
    """Pooled features (``pool``, (N, D)) and ``logits`` (N, K) of a trained classifier.

    Args:
        config: the classifier's config file (e.g. ``configs/evaluation/convnet_fmnist.py``).
        checkpoint: its trained weights (a local lmdkit checkpoint).
        input_size: images are resized (bilinear) to this side first; default: the size the config's
            ``input_size`` declares, else the images' own size.
    """

    def __init__(self, config: str, checkpoint: str, input_size: Optional[int] = None) -> None:
        super().__init__()
        self.model = build_model(config, checkpoint, device='cpu')
        self.input_size = input_size or getattr(self.model.backbone, 'input_size', None)
        self.num_classes = self.model.head.num_classes
        self.predicts_data_labels = True  # its logits index the dataset's own classes (class consistency)
        self.eval().requires_grad_(False)

    def train(self, mode: bool = True) -> 'ClassifierFeatures':
        return super().train(False)

    @torch.no_grad()
    def forward(self, images: torch.Tensor) -> Dict[str, torch.Tensor]:
        """(N, C, H, W) images in [0, 1] -> ``pool`` and ``logits``."""
        x = images.float()
        size = self.input_size
        if size is not None and tuple(x.shape[-2:]) != (size, size):
            x = F.interpolate(x, size=(size, size), mode='bilinear', align_corners=False)
        inputs = self.model.data_preprocessor(dict(inputs=x * 255.0), False)['inputs']
        feats = self.model.extract_feat(inputs)
        return dict(pool=feats.float(), logits=self.model.head(feats).float())
