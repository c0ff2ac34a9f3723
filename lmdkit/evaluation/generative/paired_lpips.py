"""LPIPS between each text-to-image sample and the reference image of its caption: the LPIPS column of LMD's Table 4
read as "how close is what the model draws for a validation caption to that caption's real image" (lower is
closer). The other reading in text-to-image papers — diversity, the mean LPIPS between samples of one prompt — is
not what a single column beside FID and CLIP score on a caption set reports, and the paper gives no protocol."""

from typing import Sequence

import torch
import torch.nn.functional as F

from lmdkit.models.losses import LPIPS, lpips_distance


def caption_references(folder: str, prompt_index: Sequence[int], captions: Sequence[str], channels: int = 3):
    """uint8 reference images of a caption folder (``captions.jsonl``): entry ``prompt_index[i]``, checked to carry
    ``captions[i]`` (the samples were drawn from this folder's captions, in its order), as RGB (``channels`` 3) or
    grey (1): a (N, C, H, W) tensor, or a list of (C, H, W) images when their sizes differ."""
    from lmdkit.registry import DATASETS

    if channels not in (1, 3):
        raise ValueError(f'caption_references: channels must be 1 (grey) or 3 (RGB), got {channels}')
    color = 'grayscale' if channels == 1 else 'color'  # RGB whatever the files hold (palette, RGBA, grey)
    data = DATASETS.build(dict(type='CaptionFolder', data_root=folder, caption_mode='first', on_bad='raise',
                               pipeline=[dict(type='LoadImage', color_type=color),
                                         dict(type='PackInputs', meta_keys=())]))  # fmt: skip
    images = []
    for i, (index, caption) in enumerate(zip(prompt_index, captions)):
        if not 0 <= int(index) < len(data) or caption not in data.get_data_info(int(index))['captions']:
            raise ValueError(f'sample {i}: prompt {int(index)} ({caption!r}) is not entry {int(index)} of {folder}/'
                             'captions.jsonl: sample with tools/sample.py --prompts that file')  # fmt: skip
        images.append(data[int(index)]['inputs'])
    shapes = {tuple(x.shape) for x in images}
    if len(shapes) > 1:  # photographs of many sizes: each to the first one's size below (paired_lpips resizes)
        return images
    return torch.stack(images)


def _fit(image: torch.Tensor, size: Sequence[int]) -> torch.Tensor:
    """(C, H, W) uint8 -> float (C, h, w): shorter side to fit (bicubic, antialiased), centre crop."""
    x = image.float()[None]
    scale = max(size[0] / x.shape[-2], size[1] / x.shape[-1])
    nh, nw = max(size[0], round(x.shape[-2] * scale)), max(size[1], round(x.shape[-1] * scale))
    if (nh, nw) != tuple(x.shape[-2:]):
        x = F.interpolate(x, size=(nh, nw), mode='bicubic', align_corners=False, antialias=True).clamp(0, 255)
    top, left = (nh - size[0]) // 2, (nw - size[1]) // 2
    return x[0, :, top : top + size[0], left : left + size[1]]


@torch.no_grad()
def paired_lpips(model: LPIPS, generated: torch.Tensor, references, batch_size: int = 50) -> float:
    """Mean LPIPS between uint8 samples (N, C, h, w) and their references (a (N, C, H, W) tensor or a list of
    (C, H, W) images, resized and centre-cropped to the samples' size)."""
    if len(generated) != len(references):
        raise ValueError(f'{len(generated)} samples but {len(references)} references')
    size = generated.shape[-2:]
    total = 0.0
    for start in range(0, len(generated), batch_size):
        gen = generated[start : start + batch_size].float()
        ref = torch.stack([_fit(r, size) for r in references[start : start + batch_size]])
        if ref.shape[1] != gen.shape[1]:  # grey vs colour: LPIPS compares three channels
            ref, gen = ref.expand(-1, 3, -1, -1), gen.expand(-1, 3, -1, -1)
        total += float(lpips_distance(model, gen, ref).sum())
    return total / len(generated)
