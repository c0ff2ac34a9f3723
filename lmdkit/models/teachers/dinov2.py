"""DINOv2 in the Hugging Face format from a local folder: REPA's default teacher (its ``x_norm_patchtokens``)."""

import json
import os.path as osp
from typing import Dict, Sequence, Tuple, Union

import torch

from lmdkit.registry import TEACHERS

from .base import BaseTeacher, Inputs, normalise, pixels
from .timm_vit import IMAGENET_MEAN, IMAGENET_STD

# the released DINOv2 sizes (Hugging Face facebook/dinov2-{small,base,large,giant}: patch 14, positions for 518 px)
DINOV2_ARCHS: Dict[str, dict] = {
    's': dict(hidden_size=384, num_hidden_layers=12, num_attention_heads=6),
    'b': dict(hidden_size=768, num_hidden_layers=12, num_attention_heads=12),
    'l': dict(hidden_size=1024, num_hidden_layers=24, num_attention_heads=16),
    'g': dict(hidden_size=1536, num_hidden_layers=40, num_attention_heads=24, use_swiglu_ffn=True),
}
WEIGHT_FILES = ('model.safetensors', 'pytorch_model.bin')
CHECKED = ('hidden_size', 'num_hidden_layers', 'num_attention_heads', 'patch_size', 'image_size')


@TEACHERS.register_module()
class DINOv2Teacher(BaseTeacher):
    """``transformers.Dinov2Model`` of size ``arch``, its weights from the local folder ``checkpoint``
    (``config.json`` + ``model.safetensors`` or ``pytorch_model.bin``, e.g. a download of facebook/dinov2-base;
    nothing is fetched at run time): the final-norm patch tokens (``last_hidden_state`` without the class token),
    what REPA takes from torch.hub's DINOv2 as ``x_norm_patchtokens``.

    Args:
        checkpoint: the model folder, read by ``init_weights`` (its config.json must match ``arch``).
        arch: 's', 'b' (REPA's default teacher), 'l', 'g', or a dict of ``Dinov2Config`` arguments.
        img_size: input side (REPA: 224 for 256-px images, 448 for 512-px: a 16x16 / 32x32 patch grid).
        mean, std: ImageNet's normalisation, as REPA.
    """

    def __init__(
        self,
        checkpoint: str,
        arch: Union[str, dict] = 'b',
        img_size: int = 224,
        mean: Sequence[float] = IMAGENET_MEAN,
        std: Sequence[float] = IMAGENET_STD,
    ) -> None:
        super().__init__()
        try:
            from transformers import Dinov2Config, Dinov2Model
        except ImportError as e:
            raise ImportError('DINOv2Teacher builds transformers.Dinov2Model: pip install transformers') from e
        if isinstance(arch, str) and arch not in DINOV2_ARCHS:
            raise ValueError(f"unknown DINOv2 arch {arch!r}: choose one of {sorted(DINOV2_ARCHS)} or pass a dict of "
                             'Dinov2Config arguments')  # fmt: skip
        kwargs = {'patch_size': 14, 'image_size': 518, **(DINOV2_ARCHS[arch] if isinstance(arch, str) else arch)}
        self.model = Dinov2Model(Dinov2Config(**kwargs))
        self.checkpoint = checkpoint
        config = self.model.config
        self.img_size, self.mean, self.std = img_size, tuple(mean), tuple(std)
        self.grid = (img_size // config.patch_size, img_size // config.patch_size)
        self.feature_dim = config.hidden_size
        self.freeze()

    def load_weights(self) -> None:
        files = [osp.join(self.checkpoint, name) for name in ('config.json', *WEIGHT_FILES)]
        weights = next((f for f in files[1:] if osp.isfile(f)), None)
        if not osp.isfile(files[0]) or weights is None:
            raise FileNotFoundError(f'no DINOv2 model folder at {self.checkpoint}: expected config.json and '
                                    f'{" or ".join(WEIGHT_FILES)} of a Hugging Face Dinov2Model, e.g. '
                                    'facebook/dinov2-base downloaded beforehand (docs/model_zoo.md)')  # fmt: skip
        with open(files[0]) as f:
            theirs = json.load(f)
        ours = self.model.config.to_dict()
        differ = {k: (theirs.get(k), ours[k]) for k in CHECKED if theirs.get(k, ours[k]) != ours[k]}
        if differ:
            raise ValueError(f'{files[0]} describes another DINOv2 than arch: (file, config) {differ}; set '
                             'model.alignment.teacher.arch to match')  # fmt: skip
        from transformers import Dinov2Model

        # through from_pretrained: it maps the release's key names onto this transformers version's modules
        loaded = Dinov2Model.from_pretrained(self.checkpoint, local_files_only=True)
        self.model.load_state_dict(loaded.state_dict())

    def features(
        self, inputs: Inputs, image_mean: torch.Tensor, image_std: torch.Tensor
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        x = normalise(pixels(inputs, image_mean, image_std, 'DINOv2Teacher'), self.mean, self.std, self.img_size)
        tokens = self.model(pixel_values=x).last_hidden_state  # final-norm: REG's x_norm_clstoken, then patches
        return tokens[:, 0], tokens[:, 1:].reshape(tokens.shape[0], *self.grid, -1)
