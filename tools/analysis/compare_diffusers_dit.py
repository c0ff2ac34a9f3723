"""Our DiT training step against diffusers' DiTTransformer2DModel, same sizes, same machine, steps alternated.

    python tools/analysis/compare_diffusers_dit.py [--sizes tiny S] [--dtypes float32 bfloat16] [--pairs 7]
        [--profile] [--out FILE]

Both networks are built from equivalent settings with random weights (class-conditional, learned sigma, adaLN-Zero,
patch 2 on 32x32x4 latents for S) and trained with the same step: draw timesteps and noise, noise the latents with
DiT's linear schedule, predict, MSE on the noise channels, backward, AdamW. Steps alternate (lmdkit, diffusers,
diffusers, lmdkit, ...) in one process and the table gives the median of the per-pair ratios
(``lmdkit.evaluation.step_comparison``, which with ``--profile`` also breaks both steps down); bf16 runs under
``torch.autocast`` for both. diffusers gives every block its own timestep/class embedder, so its DiT-S/2 has 39.8 M
parameters against the paper's 33.0 M (ours); the table prints both counts. Needs `pip install diffusers` (a test
and benchmark dependency).
"""

import argparse
import os.path as osp
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))
from lmdkit.diffusion import GaussianDiffusion  # noqa: E402
from lmdkit.evaluation.step_comparison import StepPair, comparison_arguments, run_comparisons  # noqa: E402
from lmdkit.models.backbones.dit import DiT  # noqa: E402

SIZES = {
    # latent size, channels, patch, width, depth, heads, batch
    'tiny': (8, 4, 2, 64, 2, 2, 4),
    'S': (32, 4, 2, 384, 12, 6, 16),
}


def ours(size: str) -> torch.nn.Module:
    latent, ch, patch, width, depth, heads, _ = SIZES[size]
    return DiT(arch='S', input_size=latent, patch_size=patch, in_channels=ch, hidden_size=width, depth=depth,
               num_heads=heads, num_classes=1000, learn_sigma=True)  # fmt: skip


def diffusers_dit(size: str) -> torch.nn.Module:
    from diffusers import DiTTransformer2DModel

    latent, ch, patch, width, depth, heads, _ = SIZES[size]
    return DiTTransformer2DModel(num_attention_heads=heads, attention_head_dim=width // heads, in_channels=ch,
                                 out_channels=2 * ch, num_layers=depth, sample_size=latent, patch_size=patch,
                                 num_embeds_ada_norm=1000, norm_type='ada_norm_zero')  # fmt: skip


def make_step(model: torch.nn.Module, predict, x0: torch.Tensor, y: torch.Tensor, dtype: str):
    """One training step of ``model``: ``predict(model, x_t, t, y)`` returns (B, 2C, H, W)."""
    diffusion = GaussianDiffusion.build('linear', 1000)  # DiT's schedule
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.0)
    model.train()

    def step() -> torch.Tensor:
        t, noise = torch.randint(0, 1000, (x0.shape[0],)), torch.randn_like(x0)
        x_t = diffusion.q_sample(x0, t, noise)
        with torch.autocast('cpu', dtype=torch.bfloat16, enabled=dtype == 'bfloat16'):
            out = predict(model, x_t, t, y)
        loss = F.mse_loss(out[:, : x0.shape[1]].float(), noise)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss.detach()

    return step


def build(size: str, dtype: str) -> StepPair:
    latent, ch, *_, batch = SIZES[size]
    x0, y = torch.randn(batch, ch, latent, latent), torch.randint(0, 1000, (batch,))
    a, b = ours(size), diffusers_dit(size)
    return StepPair(
        a, b,
        make_step(a, lambda m, x, t, y: m(x, t, y), x0, y, dtype),
        make_step(b, lambda m, x, t, y: m(hidden_states=x, timestep=t, class_labels=y).sample, x0, y, dtype),
        batch,
    )  # fmt: skip


def main(argv=None) -> list:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    args = comparison_arguments(parser, list(SIZES), 'S').parse_args(argv)
    torch.set_flush_denormal(True)
    return run_comparisons(args, build, 'DiT-{size}/2', 'diffusers')


if __name__ == '__main__':
    main()
