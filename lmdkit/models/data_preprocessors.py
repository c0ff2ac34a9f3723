"""Data preprocessors: images or cached latents (LMD/MAE), and classification batches with mixup/erasing."""

from typing import Optional

from mmengine.model import ImgDataPreprocessor

from lmdkit.registry import MODELS
from lmdkit.utils.host_syncs import host_side


@MODELS.register_module()
class ImageOrLatentPreprocessor(ImgDataPreprocessor):
    """MMEngine's ``ImgDataPreprocessor`` for image batches; latent-cache records (dicts of tensors from
    ``LatentCacheDataset``) are only moved to the device, with floating fields cast to float32. So a config
    switches between images and a latent cache by its dataset alone. ``mean``/``std`` keep describing the image
    range, which pictures of decoded latents use."""

    def forward(self, data: dict, training: bool = False) -> dict:
        if not isinstance(data.get('inputs'), dict):
            return super().forward(data, training)
        data = self.cast_data(data)
        inputs = {k: v.float() if v.is_floating_point() else v for k, v in data['inputs'].items()}
        return dict(inputs=inputs, data_samples=data.get('data_samples'))


@MODELS.register_module()
class ClsDataPreprocessor(ImgDataPreprocessor):
    """Normalisation plus the training-time batch augmentations of the MAE fine-tuning recipe (timm's code).

    Order as in MAE/timm: random erasing on each normalised image, then mixup/cutmix on the batch, which turns
    ``data_samples['gt_label']`` (B,) into soft targets ``data_samples['gt_score']`` (B, K) — label smoothing
    included — for the loss. Evaluation batches are only normalised.

    Args:
        num_classes: K, needed for mixup's soft targets.
        mixup: kwargs of ``timm.data.Mixup`` (``mixup_alpha``, ``cutmix_alpha``, ``prob``, ``switch_prob``,
            ``label_smoothing``…), or None.
        random_erasing: kwargs of ``timm.data.random_erasing.RandomErasing`` (``probability``, ``mode``…), or None.
    """

    def __init__(
        self, num_classes: int = 0, mixup: Optional[dict] = None, random_erasing: Optional[dict] = None, **kwargs
    ) -> None:
        super().__init__(**kwargs)
        self.num_classes = num_classes
        self.mixup = self.erasing = None
        if mixup:
            from timm.data import Mixup

            if num_classes <= 0:
                raise ValueError('ClsDataPreprocessor: mixup needs num_classes')
            self.mixup = Mixup(num_classes=num_classes, **mixup)
        if random_erasing:
            from timm.data.random_erasing import RandomErasing

            self.erasing = RandomErasing(**random_erasing)

    def forward(self, data: dict, training: bool = False) -> dict:
        if training and self.mixup is not None:
            self._check_labels(data.get('data_samples'))  # on the loader's host tensors: no device sync
        data = super().forward(data, training)
        if not training or (self.mixup is None and self.erasing is None):
            return data
        inputs, samples = data['inputs'], data.get('data_samples')
        if self.erasing is not None:
            self.erasing.device = inputs.device  # timm draws the fill values on this device
            inputs = self.erasing(inputs)
        if self.mixup is not None:
            if inputs.shape[0] % 2:
                raise ValueError(f'mixup/cutmix needs an even batch size, got {inputs.shape[0]}')
            inputs, soft = self.mixup(inputs, samples['gt_label'].to(inputs.device))
            samples = dict(samples, gt_score=soft)
        return dict(inputs=inputs, data_samples=samples)

    @staticmethod
    @host_side
    def _check_labels(samples: Optional[dict]) -> None:
        """Refuse unlabelled batches before mixup, reading the loader's labels while they are still on the host."""
        if not isinstance(samples, dict) or 'gt_label' not in samples:
            raise ValueError('mixup needs labelled data (data_samples with gt_label)')
        labels = samples['gt_label']
        if labels.device.type == 'cpu' and bool((labels < 0).any()):  # a batch already on a GPU is not checked
            raise ValueError('mixup got samples without a label (gt_label = -1): is the dataset unlabelled?')
