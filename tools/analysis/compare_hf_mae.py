"""Our MAE/LMD training step against Hugging Face transformers' ViTMAEForPreTraining, same sizes, same machine.

    python tools/analysis/compare_hf_mae.py [--sizes tiny base] [--dtypes float32 bfloat16] [--pairs 7] [--profile]
        [--out FILE]

(default size: base)

Both models are built from equivalent settings with random weights (pixel MAE, mask ratio 0.75, no norm_pix,
SDPA attention in both) and timed on the same random batch for a whole step: forward, loss, backward, AdamW.
The steps alternate in one process; the ratio is the median of the per-pair ratios
(``lmdkit.evaluation.step_comparison``, which with ``--profile`` also breaks both steps down).
bf16 runs under torch.autocast for both. Needs `pip install transformers` (a benchmark-only dependency).
"""

import argparse

import torch

from lmdkit.apis import register_all_modules
from lmdkit.evaluation.step_comparison import StepPair, comparison_arguments, run_comparisons
from lmdkit.registry import MODELS

SIZES = {
    # img, channels, patch, (width, depth, heads), (decoder width, depth, heads), batch
    'tiny': (32, 1, 4, (128, 4, 4), (64, 2, 4), 64),
    'base': (224, 3, 16, (768, 12, 12), (512, 8, 16), 8),
}


def ours(size: str) -> torch.nn.Module:
    img, ch, patch, (w, d, h), (dw, dd, dh), _ = SIZES[size]
    grid = img // patch
    return MODELS.build(dict(
        type='LMD', projector=dict(type='IdentityProjector', in_channels=ch),
        backbone=dict(type='MAEViT', img_size=img, patch_size=patch, in_channels=ch, embed_dim=w, depth=d, num_heads=h),
        neck=dict(type='MAEPretrainDecoder', grid_size=grid, patch_size=patch, out_channels=ch, in_dim=w,
                  embed_dim=dw, depth=dd, num_heads=dh),
        mask_scheduler=dict(type='FixedMaskScheduler', ratio=0.75)))  # fmt: skip


def hf(size: str) -> torch.nn.Module:
    from transformers import ViTMAEConfig, ViTMAEForPreTraining

    img, ch, patch, (w, d, h), (dw, dd, dh), _ = SIZES[size]
    cfg = ViTMAEConfig(hidden_size=w, num_hidden_layers=d, num_attention_heads=h, intermediate_size=4 * w,
                       image_size=img, patch_size=patch, num_channels=ch, decoder_hidden_size=dw,
                       decoder_num_hidden_layers=dd, decoder_num_attention_heads=dh, decoder_intermediate_size=4 * dw,
                       mask_ratio=0.75, norm_pix_loss=False, qkv_bias=True, attn_implementation='sdpa')  # fmt: skip
    return ViTMAEForPreTraining(cfg)


def make_step(model, loss_fn, x, dtype):
    """One training step: forward under autocast for bf16, loss, backward, AdamW."""
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    model.train()

    def step():
        with torch.autocast('cpu', dtype=torch.bfloat16, enabled=dtype == 'bfloat16'):
            loss = loss_fn(model, x)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss.detach()

    return step


def build(size: str, dtype: str) -> StepPair:
    img, ch, *_, batch = SIZES[size]
    x = torch.randn(batch, ch, img, img)
    a, b = ours(size), hf(size)
    return StepPair(a, b, make_step(a, lambda m, x: m(x, mode='loss')['loss'], x, dtype),
                    make_step(b, lambda m, x: m(pixel_values=x).loss, x, dtype), batch)  # fmt: skip


def main(argv=None) -> list:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    args = comparison_arguments(parser, list(SIZES), 'base').parse_args(argv)
    torch.set_flush_denormal(True)
    register_all_modules()
    return run_comparisons(args, build, 'MAE-{size}', 'transformers')


if __name__ == '__main__':
    main()
