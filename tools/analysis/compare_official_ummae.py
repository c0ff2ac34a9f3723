"""UMMAESwin + MAEPretrainDecoder(expand=2) against the official UM-MAE Swin (``models_mae_swin.py``), same random
weights, same images and masks: encoder tokens, and with masks whose blocks all keep the same unit, decoder
predictions and loss.

    python tools/analysis/compare_official_ummae.py --repo PATH [--batch 4] [--seed 0]

``--repo`` is your own checkout of https://github.com/implus/UM-MAE (nothing of it is copied into lmdkit; its
``models_mae_swin.py`` is imported from there and needs timm and einops). The official decoder adds the kept units'
positions in raster order to tokens in the compacted grid's block order; lmdkit gives each token its own unit's
position, so decoder outputs agree only where the two orders coincide (every block keeping the same unit), which the
second comparison uses. Secondary masking is off in both (their random draws differ); the tests cover ours.
Prints the largest absolute differences; exits 1 if one exceeds ``--tol``.
"""

import argparse
import os.path as osp
import sys
import types

import torch

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))
from lmdkit.models.backbones import UMMAESwin  # noqa: E402
from lmdkit.models.necks import MAEPretrainDecoder  # noqa: E402

# a small UM-MAE Swin: 64 px, 4-px tokens, 16-px units (the official stride), 4 stages (the official decoder's 2x
# expansion needs 2^(stages-1) = 2 x unit/patch), window 4 so that the first compacted stage shifts its windows
SIZE = dict(img_size=64, patch_size=4, in_channels=3, unit_size=16, embed_dim=16, depths=(2, 2, 2, 2),
            num_heads=(1, 2, 2, 4), window_size=4, posmlp_dim=8)  # fmt: skip
DECODER = dict(embed_dim=32, depth=2, num_heads=2)


def official_module(repo: str):
    """``models_mae_swin`` from the user's checkout. Its unused ``from turtle import pos`` needs tkinter, absent on
    servers; a stand-in module is registered when it cannot be imported. Its decoder passes ``qk_scale`` to timm's
    ``Block``, which current timm no longer takes: dropped here. Its ``util.pos_embed`` uses ``np.float``, gone
    since numpy 1.24: this process gets it back as ``float``."""
    import numpy as np

    if not hasattr(np, 'float'):
        np.float = float
    path = osp.join(repo, 'models_mae_swin.py')
    if not osp.isfile(path):
        raise SystemExit(f'--repo {repo}: no models_mae_swin.py there; pass the root of a checkout of '
                         'https://github.com/implus/UM-MAE')  # fmt: skip
    try:
        import turtle  # noqa: F401
    except ImportError:
        sys.modules['turtle'] = types.SimpleNamespace(pos=None)
    sys.path.insert(0, repo)  # its util.pos_embed
    import importlib.util

    from timm.models.vision_transformer import Block

    spec = importlib.util.spec_from_file_location('official_mae_swin', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.Block = lambda *args, qk_scale=None, **kwargs: Block(*args, **kwargs)
    return module


def build(module):
    """The official model and ours with its weights."""
    from functools import partial

    official = module.MaskedAutoencoderSwin(
        img_size=SIZE['img_size'], patch_size=SIZE['patch_size'], in_chans=3, stride=SIZE['unit_size'],
        embed_dim=SIZE['embed_dim'], depths=list(SIZE['depths']), num_heads=list(SIZE['num_heads']), mlp_ratio=4,
        window_size=SIZE['window_size'], posmlp_dim=SIZE['posmlp_dim'], decoder_embed_dim=DECODER['embed_dim'],
        decoder_depth=DECODER['depth'], decoder_num_heads=DECODER['num_heads'],
        norm_layer=partial(torch.nn.LayerNorm, eps=1e-6), norm_pix_loss=True, vis_mask_ratio=0.0)  # fmt: skip
    encoder = UMMAESwin(**SIZE, secondary_ratio=0.0)
    grid = SIZE['img_size'] // SIZE['unit_size']
    decoder = MAEPretrainDecoder(grid_size=grid, patch_size=SIZE['unit_size'], out_channels=3,
                                 in_dim=encoder.out_dim, cls_token=False, expand=2, **DECODER)  # fmt: skip
    enc_sd, dec_sd = {}, {}
    starts = [sum(SIZE['depths'][:i]) for i in range(len(SIZE['depths']))]
    for key, value in official.state_dict().items():
        if key.startswith('decoder') or key == 'mask_token':
            dec_sd[key] = value
            continue
        if key.startswith('patch_embed.proj.'):
            enc_sd[key.replace('patch_embed.proj.', 'patch_embed.')] = value
        elif key.startswith('patch_embed.norm.'):
            enc_sd[key.replace('patch_embed.norm.', 'patch_norm.')] = value
        elif key.startswith('blocks.'):
            _, k, rest = key.split('.', 2)
            stage = max(i for i, s in enumerate(starts) if s <= int(k))
            j = int(k) - starts[stage]
            if rest.startswith('downsample.'):
                enc_sd[f'stages.{stage}.{rest}'] = value
            else:
                if '.posmlp.' in f'.{rest}':  # 1x1 convolutions -> linear layers
                    value = value.flatten(1) if value.ndim == 4 else value
                enc_sd[f'stages.{stage}.blocks.{j}.{rest}'] = value
        else:  # norm
            enc_sd[key] = value
    encoder.load_state_dict(enc_sd, strict=False)  # no vis_mask_token: secondary masking is off
    decoder.load_state_dict(dec_sd)
    missing = set(encoder.state_dict()) - set(enc_sd)
    if missing != {'vis_mask_token'}:
        raise SystemExit(f'weights not mapped: {sorted(missing - {"vis_mask_token"})}')
    return official.eval(), encoder.eval(), decoder.eval()


def uniform_masks(batch: int, grid: int, same: bool, generator: torch.Generator) -> torch.Tensor:
    """(B, L) bool masks keeping one unit per 2x2 block: a random one per block, or one offset for all blocks."""
    blocks = (grid // 2) ** 2
    shape = (batch, 1) if same else (batch, blocks)
    choice = torch.randint(0, 4, shape, generator=generator).expand(batch, blocks)
    keep = torch.zeros(batch, grid // 2, grid // 2, 4)
    keep.scatter_(-1, choice.reshape(batch, grid // 2, grid // 2, 1), 1.0)
    keep = keep.reshape(batch, grid // 2, grid // 2, 2, 2).permute(0, 1, 3, 2, 4).reshape(batch, grid * grid)
    return keep == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--repo', required=True, help='root of your checkout of implus/UM-MAE')
    parser.add_argument('--batch', type=int, default=4)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--tol', type=float, default=1e-4)
    args = parser.parse_args()
    module = official_module(args.repo)
    torch.manual_seed(args.seed)
    official, encoder, decoder = build(module)
    gen = torch.Generator().manual_seed(args.seed)
    grid = SIZE['img_size'] // SIZE['unit_size']
    x = torch.randn(args.batch, 3, SIZE['img_size'], SIZE['img_size'], generator=gen)
    worst = 0.0
    print('| comparison | masks | max abs difference |\n|---|---|---|')
    with torch.no_grad():
        for same in (False, True):
            mask = uniform_masks(args.batch, grid, same, gen)
            theirs = official.forward_encoder(x, mask)
            ours, ids_restore = encoder.forward_mask(x, mask.float())
            label = 'one offset for all blocks' if same else 'random per block'
            diff = (theirs - ours).abs().max().item()
            worst = max(worst, diff)
            print(f'| encoder tokens {tuple(ours.shape)} | {label} | {diff:.2e} |')
            pred_theirs, num_masked = official.forward_decoder(theirs, mask)
            kept = torch.argsort(ids_restore, dim=1)[:, : ids_restore.shape[1] - num_masked]  # block order
            masked_ids = torch.cat([torch.nonzero(m).flatten() for m in mask]).reshape(args.batch, -1)
            order = torch.cat([kept, masked_ids], 1)  # the official output's order: kept tokens, then mask tokens
            pred = decoder(ours, ids_restore)  # (B, L, p·p·3) in unit order
            pred_ours = torch.gather(pred, 1, order.unsqueeze(-1).expand(-1, -1, pred.shape[-1]))
            diff = (pred_theirs - pred_ours).abs().max().item()
            if not same:  # expected to differ: the official positions follow raster order, not the tokens'
                print(f'| decoder predictions {tuple(pred.shape)} | {label} | {diff:.2e} (position orders differ) |')
                continue
            worst = max(worst, diff)
            print(f'| decoder predictions {tuple(pred.shape)} | {label} | {diff:.2e} |')
            loss_theirs = official.forward_loss(x, pred_theirs[:, -num_masked:], mask)
            target = official.patchify(x, SIZE['unit_size'])
            mean, var = target.mean(-1, keepdim=True), target.var(-1, keepdim=True)
            target = (target - mean) / (var + 1e-6) ** 0.5
            m = mask.float().unsqueeze(-1)
            loss_ours = ((pred - target) ** 2 * m).sum() / (m.sum() * pred.shape[-1])
            diff = abs(loss_theirs.item() - loss_ours.item())
            worst = max(worst, diff)
            print(f'| loss ({loss_theirs.item():.4f}) | {label} | {diff:.2e} |')
    print(f'worst: {worst:.2e} (tolerance {args.tol:g})')
    sys.exit(0 if worst <= args.tol else 1)


if __name__ == '__main__':
    main()
