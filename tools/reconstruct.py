"""Reconstruct a test set through a model's projector (or its masked model) and report PSNR / SSIM.

    python tools/reconstruct.py CONFIG CHECKPOINT --out DIR [--num-images 10000] [--mask-ratio 0.75]

CHECKPOINT holds the model's weights (an Autoencoder run's checkpoint, or an LMD run's). Without --mask-ratio the
images go through projector.encode -> decode (the latent space's own reconstruction quality); with it, an LMD/MAE
model masks that share of tokens and reconstructs them. Writes DIR/reconstruction.png (first 10 images) and
DIR/metrics.json.
"""

import argparse
import json
import os
import os.path as osp

import torch
from mmengine.config import DictAction
from mmengine.dataset import default_collate
from mmengine.utils import ProgressBar

from lmdkit.apis import init_model, load_program_config
from lmdkit.evaluation.metrics import psnr, ssim
from lmdkit.fileio import atomic_write
from lmdkit.models.projectors import VQGANProjector
from lmdkit.registry import DATASETS
from lmdkit.utils.images import to_uint8
from lmdkit.visualization import save_image_rows


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--out', required=True)
    parser.add_argument('--num-images', type=int, default=0, help='0 = the whole test set')
    parser.add_argument('--mask-ratio', type=float, default=None, help='masked reconstruction by an LMD/MAE model')
    parser.add_argument('--batch-size', type=int, default=250)
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args()


@torch.no_grad()
def main() -> None:
    args = parse_args()
    cfg = load_program_config(args.config, args.cfg_options)
    model = init_model(cfg, args.checkpoint, device=args.device)
    dataset = DATASETS.build(cfg.test_dataloader.dataset)
    n = min(len(dataset), args.num_images) if args.num_images else len(dataset)
    pre = model.data_preprocessor
    mean, std = pre.mean, pre.std  # (C, 1, 1): broadcast over (B, C, H, W)
    scores = dict(psnr=[], ssim=[])
    grid = None
    bar = ProgressBar(n)
    for start in range(0, n, args.batch_size):
        batch = default_collate([dataset[i] for i in range(start, min(n, start + args.batch_size))])
        inputs = pre(dict(inputs=batch['inputs'].to(args.device)), False)['inputs']
        if args.mask_ratio is not None:
            noise = model.fixed_noise(inputs.shape[0], start, inputs.device)
            out = model.reconstruct(inputs, args.mask_ratio, noise)
        else:
            projector = model.projector
            out = dict(input=inputs, reconstruction=projector.decode(projector.encode(inputs, sample=False)))
        gt, rec = to_uint8(out['input'], mean, std).float(), to_uint8(out['reconstruction'], mean, std).float()
        scores['psnr'] += psnr(rec, gt).tolist()
        scores['ssim'] += ssim(rec, gt).tolist()
        if grid is None:
            grid = {'original': gt[:10].to(torch.uint8)}
            if 'masked' in out:
                grid[f'masked {args.mask_ratio:.0%}'] = to_uint8(out['masked'][:10], mean, std)
            grid['reconstruction'] = rec[:10].to(torch.uint8)
        bar.update(inputs.shape[0])
    os.makedirs(args.out, exist_ok=True)
    metrics = dict(num_images=n, psnr=sum(scores['psnr']) / n, ssim=sum(scores['ssim']) / n,
                   mask_ratio=args.mask_ratio, checkpoint=args.checkpoint, config=args.config)  # fmt: skip
    if isinstance(model.projector, VQGANProjector) and args.mask_ratio is None:  # the codebook share in use
        used = torch.zeros(model.projector.quantize.num_codes, dtype=torch.bool)
        for start in range(0, n, args.batch_size):
            batch = default_collate([dataset[i] for i in range(start, min(n, start + args.batch_size))])
            inputs = pre(dict(inputs=batch['inputs'].to(args.device)), False)['inputs']
            used[model.projector.encode_indices(inputs).flatten().unique().cpu()] = True
        metrics['codebook_usage'] = float(used.float().mean())
    save_image_rows(grid, osp.join(args.out, 'reconstruction.png'), title=osp.basename(args.checkpoint))
    atomic_write(osp.join(args.out, 'metrics.json'), lambda f: json.dump(metrics, f, indent=2), mode='w')
    print('\n' + json.dumps(metrics, indent=2))


if __name__ == '__main__':
    main()
