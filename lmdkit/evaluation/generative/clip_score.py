"""CLIP score: agreement between images and their captions in CLIP's joint embedding space (LMD Table 4)."""

from typing import Dict, Sequence

import torch
import torch.nn.functional as F

#: CLIP's input normalisation (OpenAI release)
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)


def clip_preprocess(images: torch.Tensor, size: int = 224) -> torch.Tensor:
    """(N, C, H, W) images in [0, 1] -> CLIP inputs: shorter side to ``size`` (bicubic), centre crop, normalise."""
    x = images.float()
    if x.shape[1] == 1:
        x = x.expand(-1, 3, -1, -1)
    h, w = x.shape[-2:]
    scale = size / min(h, w)
    nh, nw = max(size, round(h * scale)), max(size, round(w * scale))
    x = F.interpolate(x, size=(nh, nw), mode='bicubic', align_corners=False, antialias=True).clamp(0, 1)
    top, left = (nh - size) // 2, (nw - size) // 2
    x = x[..., top : top + size, left : left + size]
    mean = torch.tensor(CLIP_MEAN, device=x.device).view(1, 3, 1, 1)
    std = torch.tensor(CLIP_STD, device=x.device).view(1, 3, 1, 1)
    return (x - mean) / std


class CLIPScorer:
    """Cosine similarity of CLIP image and caption embeddings, from a local Hugging Face CLIP directory.

    ``transformers`` is an optional dependency; weights come from ``model_dir`` only (e.g. a saved
    ``openai/clip-vit-base-patch32``: ``config.json``, weights, tokenizer files) — nothing is downloaded.
    """

    def __init__(self, model_dir: str, device: str = 'cpu') -> None:
        try:
            from transformers import CLIPModel, CLIPTokenizer
        except ImportError as e:  # pragma: no cover - depends on the environment
            raise ImportError('CLIP score needs the optional dependency transformers (pip install transformers)') from e
        self.model = CLIPModel.from_pretrained(model_dir, local_files_only=True).to(device).eval()
        self.tokenizer = CLIPTokenizer.from_pretrained(model_dir, local_files_only=True)
        self.image_size = self.model.config.vision_config.image_size
        self.device = device

    @torch.no_grad()
    def embed(self, images: torch.Tensor, captions: Sequence[str]) -> Dict[str, torch.Tensor]:
        """L2-normalised ``image`` (N, E) and ``text`` (N, E) embeddings."""
        if len(captions) != len(images):
            raise ValueError(f'{len(images)} images but {len(captions)} captions')
        pixels = clip_preprocess(images.to(self.device), self.image_size)
        tokens = self.tokenizer(list(captions), padding=True, truncation=True, return_tensors='pt').to(self.device)
        img = self.model.get_image_features(pixel_values=pixels)
        txt = self.model.get_text_features(**tokens)
        img = img if torch.is_tensor(img) else img.pooler_output  # transformers 5 may return an output object
        txt = txt if torch.is_tensor(txt) else txt.pooler_output
        return dict(image=F.normalize(img.float(), dim=-1), text=F.normalize(txt.float(), dim=-1))

    def __call__(self, images: torch.Tensor, captions: Sequence[str], batch_size: int = 64) -> Dict[str, float]:
        """``clip_score``: mean raw cosine (LMD's ~0.26 scale); ``clip_score_x100``: mean of max(100·cos, 0)
        (torchmetrics / the CLIPScore paper's clipped scale)."""
        cos = []
        for start in range(0, len(images), batch_size):
            e = self.embed(images[start : start + batch_size], captions[start : start + batch_size])
            cos.append((e['image'] * e['text']).sum(-1).cpu())
        cos = torch.cat(cos)
        return dict(clip_score=float(cos.mean()), clip_score_x100=float((100 * cos).clamp_min(0).mean()))
