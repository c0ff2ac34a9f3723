"""The teacher contract of representation alignment: a frozen encoder that turns the batch a diffusion algorithm
receives into patch features on the denoiser's token grid (REPA), and one global class token (REG)."""

from abc import ABC, abstractmethod
from typing import Dict, NamedTuple, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

Inputs = Union[torch.Tensor, Dict[str, torch.Tensor]]  # preprocessed images, or a batch of latent-cache records


class TeacherFeatures(NamedTuple):
    """A teacher's view of a clean batch."""

    patches: torch.Tensor  # (B, gh·gw, D) on the denoiser's token grid
    cls: torch.Tensor  # (B, D) the global token (the class token, or the model's own pooling without one)


class BaseTeacher(nn.Module, ABC):
    """A frozen feature encoder. ``forward(inputs, image_mean, image_std, grid)`` -> ``TeacherFeatures``: patch
    features (B, gh·gw, feature_dim) and a class token (B, feature_dim).

    ``inputs`` is what the algorithm's ``loss`` receives: images normalised by its data preprocessor (whose
    ``image_mean``/``image_std`` on the 0–255 scale undo that), or latent-cache records. Features on a grid other
    than the denoiser's ``grid`` are resized to it (bilinear, antialiased; REPA instead sizes the teacher's input so
    that the grids match, which the ImageNet configs do). The teacher stays in eval mode and gets no gradient.

    A latent-cache batch written with ``tools/cache_latents.py --teacher`` carries the features (``teacher_cls``,
    ``teacher_patches``), which are used instead of running the teacher; the dataset checked that they are this
    teacher's (type, weights hash, settings).

    Building needs no weights file (the architecture comes from the config); ``init_weights`` — which the runner
    calls before training, through the algorithm — reads them, once. Evaluation and sampling load the teacher with
    the rest of a checkpoint.
    """

    feature_dim: int

    def __init__(self) -> None:
        super().__init__()
        self.is_init = False

    def init_weights(self) -> None:
        """Read the pretrained weights (once)."""
        if not self.is_init:
            self.load_weights()
            self.is_init = True
        self.freeze()

    @abstractmethod
    def load_weights(self) -> None:
        """Load the weights file(s) into the built architecture; a missing file fails naming it and the fix."""

    def freeze(self) -> None:
        """No gradients, eval mode for good (``train()`` keeps it there)."""
        for p in self.parameters():
            p.requires_grad_(False)
        self.eval()

    def train(self, mode: bool = True) -> 'BaseTeacher':
        return super().train(False)

    @abstractmethod
    def features(
        self, inputs: Inputs, image_mean: torch.Tensor, image_std: torch.Tensor
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """The class token (B, D) and the patch features (B, h, w, D) on the teacher's own grid."""

    @torch.no_grad()
    def forward(
        self, inputs: Inputs, image_mean: torch.Tensor, image_std: torch.Tensor, grid: Tuple[int, int]
    ) -> TeacherFeatures:
        if isinstance(inputs, dict) and 'teacher_patches' in inputs:  # features cached with the latents
            cls, feats = inputs['teacher_cls'], inputs['teacher_patches']
        else:
            cls, feats = self.features(inputs, image_mean, image_std)  # (B, D), (B, h, w, D)
        feats = feats.float()
        if tuple(feats.shape[1:3]) != tuple(grid):
            feats = F.interpolate(feats.permute(0, 3, 1, 2), size=tuple(grid), mode='bilinear', align_corners=False,
                                  antialias=True).permute(0, 2, 3, 1)  # fmt: skip
        return TeacherFeatures(feats.flatten(1, 2), cls.float())


def pixels(inputs: Inputs, image_mean: torch.Tensor, image_std: torch.Tensor, teacher: str) -> torch.Tensor:
    """Images on the 0–255 scale from the algorithm's normalised ones; a clear error for latent-cache records."""
    if isinstance(inputs, dict):
        raise TypeError(f'{teacher} encodes images, but this batch holds latent-cache records (cached latents): '
                        'cache its features with the latents (tools/cache_latents.py CONFIG --out DIR --teacher), '
                        'train on images, or align to a teacher on the same latents (LmdkitEncoderTeacher of an LMD '
                        'run on this cache)')  # fmt: skip
    return inputs * _column(image_std, inputs) + _column(image_mean, inputs)


def normalise(images: torch.Tensor, mean: Sequence[float], std: Sequence[float], size: int) -> torch.Tensor:
    """0–255 images -> resized to ``size`` (bicubic, as REPA) and normalised by ``mean``/``std`` on the 0–1 scale;
    single-channel images are repeated to the teacher's three channels."""
    x = images / 255.0
    if x.shape[1] == 1 and len(mean) == 3:
        x = x.expand(-1, 3, -1, -1)
    if tuple(x.shape[-2:]) != (size, size):
        x = F.interpolate(x, size=(size, size), mode='bicubic', align_corners=False)
    return (x - _column(mean, x)) / _column(std, x)


def _column(values, like: torch.Tensor) -> torch.Tensor:
    """Per-channel values as a (1, C, 1, 1) tensor on ``like``'s device."""
    return torch.as_tensor(values, dtype=like.dtype, device=like.device).reshape(1, -1, 1, 1)
