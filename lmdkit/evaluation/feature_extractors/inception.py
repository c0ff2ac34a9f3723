"""The FID Inception-v3: the TensorFlow graph of 2015-12-05 that FID, sFID and IS are defined on, in PyTorch.

The network is torchvision's Inception-v3 with 1008 classes and no auxiliary head, with the pooling quirks of the TF
graph (as pytorch-fid and torch-fidelity port it): average pools in the A, C and first E blocks ignore padding, and
the last E block pools by max. Weights: pytorch-fid's release file ``pt_inception-2015-12-05-6726825d.pth``,
loaded strictly from a local path — nothing is downloaded.

Input handling follows pytorch-fid: images in [0, 1] are resized to 299×299 bilinearly in PyTorch
(``align_corners=False``) and scaled to [-1, 1]. The ADM evaluator instead feeds uint8 images to the TF graph,
which resizes inside (TF1 bilinear without half-pixel centres), so its FIDs differ slightly (typically in the
second decimal for 256 px images) — compare numbers from the same evaluator.
"""

import pickle
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision.models.inception import Inception3, InceptionA, InceptionC, InceptionE

from lmdkit.registry import FEATURE_EXTRACTORS

from ...fileio import TORCH_LOAD_ERRORS, as_corrupt

Path = Sequence[Union[str, Tuple[str, str]]]


def _run_branches(block: nn.Module, x: torch.Tensor, branches: Sequence[Path], pool) -> torch.Tensor:
    """Concatenate branch outputs; a branch is a chain of submodule names, '(a, b)' splits into two heads that are
    concatenated, and 'pool' applies the block's pooling."""
    outs = []
    for path in branches:
        h = x
        for step in path:
            if step == 'pool':
                h = pool(h)
            elif isinstance(step, tuple):
                h = torch.cat([getattr(block, name)(h) for name in step], 1)
            else:
                h = getattr(block, step)(h)
        outs.append(h)
    return torch.cat(outs, 1)


def _avg_pool_no_pad(x: torch.Tensor) -> torch.Tensor:
    return F.avg_pool2d(x, kernel_size=3, stride=1, padding=1, count_include_pad=False)


def _max_pool(x: torch.Tensor) -> torch.Tensor:
    return F.max_pool2d(x, kernel_size=3, stride=1, padding=1)


_A = [['branch1x1'], ['branch5x5_1', 'branch5x5_2'], ['branch3x3dbl_1', 'branch3x3dbl_2', 'branch3x3dbl_3'],
      ['pool', 'branch_pool']]  # fmt: skip
_C = [['branch1x1'], ['branch7x7_1', 'branch7x7_2', 'branch7x7_3'],
      ['branch7x7dbl_1', 'branch7x7dbl_2', 'branch7x7dbl_3', 'branch7x7dbl_4', 'branch7x7dbl_5'],
      ['pool', 'branch_pool']]  # fmt: skip
_E = [['branch1x1'], ['branch3x3_1', ('branch3x3_2a', 'branch3x3_2b')],
      ['branch3x3dbl_1', 'branch3x3dbl_2', ('branch3x3dbl_3a', 'branch3x3dbl_3b')],
      ['pool', 'branch_pool']]  # fmt: skip


class _TFInceptionA(InceptionA):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _run_branches(self, x, _A, _avg_pool_no_pad)


class _TFInceptionC(InceptionC):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _run_branches(self, x, _C, _avg_pool_no_pad)


class _TFInceptionE(InceptionE):
    def __init__(self, in_channels: int, max_pool: bool = False) -> None:
        super().__init__(in_channels)
        self._pool = _max_pool if max_pool else _avg_pool_no_pad

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _run_branches(self, x, _E, self._pool)


def build_fid_inception() -> Inception3:
    """Randomly initialised FID Inception-v3 with the release file's module layout."""
    net = Inception3(num_classes=1008, aux_logits=False, init_weights=False, transform_input=False)
    for name, in_ch, pool in (('Mixed_5b', 192, 32), ('Mixed_5c', 256, 64), ('Mixed_5d', 288, 64)):
        setattr(net, name, _TFInceptionA(in_ch, pool_features=pool))
    for name, c7 in (('Mixed_6b', 128), ('Mixed_6c', 160), ('Mixed_6d', 160), ('Mixed_6e', 192)):
        setattr(net, name, _TFInceptionC(768, channels_7x7=c7))
    net.Mixed_7b = _TFInceptionE(1280)
    net.Mixed_7c = _TFInceptionE(2048, max_pool=True)
    return net


#: Layers in order of the forward pass (torchvision's Inception3 minus the auxiliary head and dropout).
_STEM: List[str] = ['Conv2d_1a_3x3', 'Conv2d_2a_3x3', 'Conv2d_2b_3x3', 'maxpool1', 'Conv2d_3b_1x1', 'Conv2d_4a_3x3',
                    'maxpool2', 'Mixed_5b', 'Mixed_5c', 'Mixed_5d', 'Mixed_6a', 'Mixed_6b', 'Mixed_6c', 'Mixed_6d',
                    'Mixed_6e', 'Mixed_7a', 'Mixed_7b', 'Mixed_7c']  # fmt: skip


@FEATURE_EXTRACTORS.register_module()
class InceptionV3FID(nn.Module):
    """Features of the FID Inception-v3.

    ``forward(images)`` takes (N, C, H, W) images in [0, 1] (grayscale is repeated to RGB) and returns
    ``pool`` (N, 2048) — FID's pool3 features —, ``logits`` (N, 1008) — IS uses their softmax — and ``spatial``
    (N, 2023): the first 7 channels of ``Mixed_6d.branch1x1`` (the TF graph's ``mixed_6/conv``) at 17×17, ADM's
    sFID features.

    Args:
        checkpoint: local pytorch-fid weights ``pt_inception-2015-12-05-6726825d.pth`` (strict load); None gives
            random weights (tests only: the numbers then mean nothing).
        resize: resize inputs to 299×299 first (pytorch-fid does).
    """

    feature_dim = 2048
    num_classes = 1008

    def __init__(self, checkpoint: Optional[str] = None, resize: bool = True) -> None:
        super().__init__()
        self.net = build_fid_inception()
        self.resize = resize
        if checkpoint is None:
            for m in self.net.modules():  # torchvision skipped init: give BN sane statistics, convs a fan-in scale
                if isinstance(m, (nn.Conv2d, nn.Linear)):
                    nn.init.kaiming_normal_(m.weight, nonlinearity='relu')
        else:
            try:
                state = torch.load(checkpoint, map_location='cpu', weights_only=True)
            except (pickle.UnpicklingError, *TORCH_LOAD_ERRORS) as e:
                raise as_corrupt(checkpoint, e, 'Inception weights (pt_inception-2015-12-05)') from None
            self.net.load_state_dict(state.get('state_dict', state), strict=True)
        self.eval().requires_grad_(False)

    def train(self, mode: bool = True) -> 'InceptionV3FID':
        return super().train(False)  # batch-norm statistics are part of the metric: always eval mode

    @torch.no_grad()
    def forward(self, images: torch.Tensor) -> Dict[str, torch.Tensor]:
        x = images.float()
        if x.shape[1] == 1:
            x = x.expand(-1, 3, -1, -1)
        if self.resize:
            x = F.interpolate(x, size=(299, 299), mode='bilinear', align_corners=False)
        x = 2 * x - 1
        spatial = None
        for name in _STEM:
            if name == 'Mixed_6d':
                spatial = self.net.Mixed_6d.branch1x1(x)[:, :7]  # (N, 7, 17, 17)
            x = getattr(self.net, name)(x)
        pool = x.mean(dim=(2, 3))  # (N, 2048)
        return dict(pool=pool, logits=self.net.fc(pool), spatial=spatial.permute(0, 2, 3, 1).flatten(1))
