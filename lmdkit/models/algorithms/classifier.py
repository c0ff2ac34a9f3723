"""Image classification with a (pretrained) ViT encoder: fine-tuning and linear probing (MAE's protocols).

Pixel input, or latent input with the frozen projector of an LMD pretraining in front. Features are the mean of
the patch tokens followed by ``fc_norm`` (MAE fine-tuning, ``global_pool='avg'``; the encoder's final norm is
then unused) or the normalised class token (``'token'``, MAE's linear probe). CNN backbones that already return
pooled (B, D) features (``ConvNet``) use ``global_pool='none'``.
"""

from typing import Dict, List, Optional

import torch
import torch.nn as nn

from lmdkit.registry import MODELS

from ..example import ComponentExample, example_images, loss_terms
from ..projectors import build_frozen_projector, check_latent_channels
from .base import BaseAlgorithm
from .latent_input import LatentInput


@MODELS.register_module()
class ImageClassifier(LatentInput, BaseAlgorithm):
    """projector.encode (frozen) → MAEViT on all tokens (or a CNN) → pool → head → cross-entropy.

    Args:
        backbone: encoder config (``MAEViT``); put ``init_cfg=dict(type='PretrainedEncoder', checkpoint=...)`` on it
            to start from a pretraining checkpoint. With ``global_pool='avg'`` set ``final_norm=False`` (MAE).
        head: ``LinearClsHead`` config.
        projector: frozen image → latent map for latent-input encoders (default: pixels).
        global_pool: 'avg' (mean of patch tokens + ``fc_norm``), 'token' (class token) or 'none' (the backbone
            returns pooled features itself).
        loss: classification loss (``CrossEntropyLoss``); soft targets from mixup are used when present.
        freeze_backbone: linear probing — only the head trains: the encoder (and ``fc_norm``) get no gradients and
            the encoder stays in eval mode (MAE's ``main_linprobe``).
        train_pos_embed: fine-tune the position embedding (MAE/timm: a learnable parameter initialised from the
            pretraining's fixed sin-cos table); ignored when the backbone is frozen.
    """

    @classmethod
    def example(cls) -> ComponentExample:
        """A tiny ImageClassifier and its objective (``lmdkit.models.example``; the registry-wide test)."""

        def objective(m: 'ImageClassifier') -> torch.Tensor:  # mixup soft targets through the data preprocessor
            batch = dict(inputs=example_images(4, 1, 16, 16), data_samples=dict(gt_label=torch.tensor([0, 3, 5, 9])))
            return loss_terms(m(**m.data_preprocessor(batch, True), mode='loss'))

        # the encoder of LMD's example (its checkpoints load), fine-tuned as MAE does
        backbone = dict(MODELS.get('LMD').example().cfg['backbone'], final_norm=False, drop_path_rate=0.1)
        preprocessor = dict(type='ClsDataPreprocessor', mean=[127.5], std=[127.5], num_classes=10,
                            mixup=dict(mixup_alpha=0.8, cutmix_alpha=1.0, label_smoothing=0.1),
                            random_erasing=dict(probability=0.25, mode='pixel'))  # fmt: skip
        return ComponentExample(
            cfg=dict(
                type='ImageClassifier',
                data_preprocessor=preprocessor,
                backbone=backbone,
                projector=dict(type='IdentityProjector', in_channels=1),
                head=dict(type='LinearClsHead', num_classes=10),
            ),  # fmt: skip
            objective=objective,
        )

    def __init__(
        self,
        backbone: dict,
        head: dict,
        projector: Optional[dict] = None,
        global_pool: str = 'avg',
        loss: Optional[dict] = None,
        freeze_backbone: bool = False,
        train_pos_embed: bool = True,
        data_preprocessor: Optional[dict] = None,
        init_cfg: Optional[dict] = None,
    ) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if global_pool not in ('avg', 'token', 'none'):
            raise ValueError(f"global_pool must be 'avg', 'token' or 'none', got {global_pool!r}")
        self.projector = build_frozen_projector(projector)
        self.backbone = MODELS.build(backbone)
        check_latent_channels(self.projector, self.backbone.in_channels, 'backbone')
        self.global_pool = global_pool
        dim = self.backbone.out_dim  # the width of its tokens (or pooled features)
        # token backbones say how many class tokens lead their patches: MAEViT 1, the Swin encoders 0
        self.num_prefix = self.backbone.num_prefix_tokens if global_pool != 'none' else 0
        if global_pool == 'token' and self.num_prefix == 0:
            raise ValueError(f"global_pool='token' reads a class token, and {type(self.backbone).__name__} has none: "
                             "use global_pool='avg'")  # fmt: skip
        eps = self.backbone.norm.eps if isinstance(getattr(self.backbone, 'norm', None), nn.LayerNorm) else 1e-6
        self.fc_norm = nn.LayerNorm(dim, eps=eps) if global_pool == 'avg' else nn.Identity()
        self.head = MODELS.build(dict(head, in_channels=head.get('in_channels', dim)))
        self.loss_module = MODELS.build(loss or dict(type='CrossEntropyLoss'))
        self.freeze_backbone = freeze_backbone
        if freeze_backbone:
            for p in [*self.backbone.parameters(), *self.fc_norm.parameters()]:
                p.requires_grad_(False)
        elif train_pos_embed and hasattr(self.backbone, 'pos_embed'):
            self.backbone.pos_embed.requires_grad_(True)

    def train(self, mode: bool = True) -> 'ImageClassifier':
        super().train(mode)
        self.projector.eval()
        if self.freeze_backbone:
            self.backbone.eval()  # no dropout/drop path in a linear probe
        return self

    def forward_tensor(self, inputs: torch.Tensor) -> torch.Tensor:
        """(B, K) logits."""
        return self.head(self.extract_feat(inputs))

    def extract_feat(self, inputs: torch.Tensor) -> torch.Tensor:
        """(B, D) pooled features of preprocessed images."""
        x = self.encode_latents(inputs)
        with torch.set_grad_enabled(torch.is_grad_enabled() and not self.freeze_backbone):  # probes: no graph
            if self.global_pool == 'none':
                return self.backbone(x)  # (B, D)
            tokens, _, _ = self.backbone(x, 0.0)  # (B, prefix + L, D)
            pooled = tokens[:, self.num_prefix :].mean(dim=1) if self.global_pool == 'avg' else tokens[:, 0]
            return self.fc_norm(pooled)

    def loss(self, inputs: torch.Tensor, data_samples: Optional[dict]) -> Dict[str, torch.Tensor]:
        if not isinstance(data_samples, dict) or not ({'gt_score', 'gt_label'} & set(data_samples)):
            raise ValueError('ImageClassifier needs labelled data: data_samples with gt_label (or gt_score)')
        target = data_samples.get('gt_score', data_samples.get('gt_label'))
        if target.ndim == 1 and self.has_unlabelled(target):
            raise ValueError('the batch has samples without a label (gt_label = -1): is the dataset unlabelled?')
        logits = self.head(self.extract_feat(inputs))
        return dict(loss=self.loss_module(logits, target.to(logits.device)))

    @torch.no_grad()
    def predict(self, inputs: torch.Tensor, data_samples: Optional[dict] = None) -> List[dict]:
        """Per sample: ``pred_score`` (K,) softmax, ``pred_label`` and ``gt_label`` (-1 when unlabelled)."""
        scores = self.head(self.extract_feat(inputs)).float().softmax(dim=-1).cpu()
        labels = data_samples.get('gt_label') if isinstance(data_samples, dict) else None
        labels = labels.cpu().tolist() if labels is not None else [-1] * len(scores)
        return [dict(pred_score=s, pred_label=int(s.argmax()), gt_label=int(y)) for s, y in zip(scores, labels)]
