"""Our MDTv2 training step against the official sail-sg/MDT ``models.py``, same sizes, same machine, steps alternated.

    python tools/analysis/compare_official_mdt.py --mdt-repo PATH [--sizes tiny S] [--dtypes float32 bfloat16]
        [--pairs 7] [--profile] [--out FILE]

``--mdt-repo`` is your own checkout of https://github.com/sail-sg/MDT (nothing of it is copied into lmdkit; its
``masked_diffusion/models.py`` is imported from there and needs timm). Both networks are MDTv2 with learned sigma and
the official S settings (decode_layer 6; mask ratio 0.3 + U(0, 0.2)) and are trained with the same step as the
official ``train_util.py``: draw timesteps and noise, noise the latents with the linear schedule, a full pass and a
masked pass, MSE on the noise channels of each, their sum backward, AdamW; the k-th step of each side masks the same
share of tokens (``SharedMaskRatios``). Steps alternate in one process; the
table gives the median of the per-pair ratios (``lmdkit.evaluation.step_comparison``).
"""

import argparse
import os.path as osp
import sys
from typing import List

import torch

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))
from lmdkit.diffusion import GaussianDiffusion  # noqa: E402
from lmdkit.evaluation.step_comparison import StepPair, comparison_arguments, run_comparisons  # noqa: E402
from lmdkit.models.backbones.mdt import MDT  # noqa: E402

SIZES = {
    # latent size, channels, width, depth, heads, decode layers, batch
    'tiny': (8, 4, 64, 4, 2, 2, 4),
    'S': (32, 4, 384, 12, 6, 6, 16),
}
MASK_RATIO = 0.3  # + U(0, 0.2), drawn per step


def official_module(repo: str):
    """``masked_diffusion.models`` from the user's checkout, with a clear error when the path is wrong."""
    models = osp.join(repo, 'masked_diffusion', 'models.py')
    if not osp.isfile(models):
        raise SystemExit(f'--mdt-repo {repo}: no masked_diffusion/models.py there; pass the root of a checkout of '
                         'https://github.com/sail-sg/MDT')  # fmt: skip
    import importlib.util

    spec = importlib.util.spec_from_file_location('official_mdt_models', models)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def ours(size: str) -> torch.nn.Module:
    latent, ch, width, depth, heads, decode, _ = SIZES[size]
    return MDT(arch='S', version=2, input_size=latent, patch_size=2, in_channels=ch, hidden_size=width, depth=depth,
               num_heads=heads, decode_layers=decode, num_classes=1000, learn_sigma=True)  # fmt: skip


def official(size: str, module) -> torch.nn.Module:
    latent, ch, width, depth, heads, decode, _ = SIZES[size]
    return module.MDTv2(input_size=latent, patch_size=2, in_channels=ch, hidden_size=width, depth=depth,
                        num_heads=heads, num_classes=1000, learn_sigma=True, mask_ratio=MASK_RATIO,
                        decode_layer=decode)  # fmt: skip


def make_step(model: torch.nn.Module, full, masked, x0: torch.Tensor, y: torch.Tensor, dtype: str):
    """One training step: ``full(model, x_t, t, y)`` and ``masked(model, x_t, t, y)`` return (B, 2C, H, W)."""
    diffusion = GaussianDiffusion.build('linear', 1000)
    opt = torch.optim.AdamW(model.parameters(), lr=5e-4, weight_decay=0.0)
    model.train()
    c = x0.shape[1]

    def step() -> torch.Tensor:
        t, noise = torch.randint(0, 1000, (x0.shape[0],)), torch.randn_like(x0)
        x_t = diffusion.q_sample(x0, t, noise)
        with torch.autocast('cpu', dtype=torch.bfloat16, enabled=dtype == 'bfloat16'):
            out_full, out_masked = full(model, x_t, t, y), masked(model, x_t, t, y)
        loss = (out_full[:, :c].float() - noise).square().mean() + (out_masked[:, :c].float() - noise).square().mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss.detach()

    return step


class SharedMaskRatios:
    """The k-th masked pass of either side gets the same mask ratio, 0.3 + 0.2·u_k with u_k from a fixed sequence, so
    that a pair of steps does the same work (a ratio drawn per side made pairs differ by up to 15 %)."""

    def __init__(self, seed: int = 0) -> None:
        self.generator = torch.Generator().manual_seed(seed)
        self.ratios: List[float] = []
        self.calls = {'ours': 0, 'official': 0}

    def next(self, side: str) -> float:
        k = self.calls[side]
        self.calls[side] += 1
        while len(self.ratios) <= k:
            self.ratios.append(MASK_RATIO + 0.2 * float(torch.rand((), generator=self.generator)))
        return self.ratios[k]


def build(size: str, dtype: str, module) -> StepPair:
    latent, ch, *_, batch = SIZES[size]
    x0, y = torch.randn(batch, ch, latent, latent), torch.randint(0, 1000, (batch,))
    a, b = ours(size), official(size, module)
    ratios = SharedMaskRatios()

    def our_masked(m, x, t, y):  # the official ratio: 0.3 + U(0, 0.2) per step
        return m(x, t, y, mask_ratio=ratios.next('ours'))

    # the official forward draws its ratio itself and hands it to random_masking: this instance's gets the shared one
    official_masking = b.random_masking
    b.random_masking = lambda x, drawn: official_masking(x, ratios.next('official'))

    def official_masked(m, x, t, y):
        return m(x, t, y, enable_mask=True)

    return StepPair(
        a, b,
        make_step(a, lambda m, x, t, y: m(x, t, y), our_masked, x0, y, dtype),
        make_step(b, lambda m, x, t, y: m(x, t, y), official_masked, x0, y, dtype),
        batch,
    )  # fmt: skip


def main(argv=None) -> list:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--mdt-repo', required=True, help='root of your checkout of github.com/sail-sg/MDT')
    args = comparison_arguments(parser, list(SIZES), 'S').parse_args(argv)
    module = official_module(args.mdt_repo)
    torch.set_flush_denormal(True)
    return run_comparisons(args, lambda size, dtype: build(size, dtype, module), 'MDTv2-{size}/2', 'official')


if __name__ == '__main__':
    main()
