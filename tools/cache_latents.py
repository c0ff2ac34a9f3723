"""Encode a dataset once with a config's projector and store what training needs (resumable).

    python tools/cache_latents.py CONFIG --out DIR [--split train|val] [--flip] [--shard-size 10000]

CONFIG is a training config whose ``model.projector`` (with its ``checkpoint``) defines the latent space; the
images come from its train (or val) dataloader's dataset without random augmentation. Shards already written are
kept when the command runs again, so an interrupted run continues where it stopped.
"""

import argparse
import copy
import json
import os
import os.path as osp
import time

import torch
from mmengine.config import Config, DictAction
from mmengine.dataset import default_collate
from mmengine.utils import ProgressBar

from lmdkit.datasets.latent_cache import MANIFEST, projector_identity
from lmdkit.engine.checkpoint import atomic_torch_save, atomic_write
from lmdkit.registry import DATASETS, MODELS
from lmdkit.utils import register_all_modules

RANDOM_TRANSFORMS = ('RandomFlip', 'RandomResizedCrop', 'RandomCrop')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config')
    parser.add_argument('--out', required=True, help='cache folder')
    parser.add_argument('--split', choices=['train', 'val'], default='train', help='which dataloader to encode')
    parser.add_argument('--flip', action='store_true', help='also store the horizontally flipped images')
    parser.add_argument('--shard-size', type=int, default=10000)
    parser.add_argument('--batch-size', type=int, default=256)
    parser.add_argument('--dtype', choices=['float16', 'float32'], default='float16', help='of floating fields')
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args()


def deterministic_dataset(cfg: Config, split: str):
    """The split's dataset with random transforms removed (the cache must be a function of the image)."""
    ds_cfg = copy.deepcopy(cfg[f'{split}_dataloader'].dataset)
    ds_cfg.pipeline = [t for t in ds_cfg.get('pipeline', []) if t['type'] not in RANDOM_TRANSFORMS]
    return DATASETS.build(ds_cfg)


@torch.no_grad()
def main() -> None:
    args = parse_args()
    torch.set_flush_denormal(True)
    register_all_modules()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    model_cfg = cfg.model
    proj_cfg = model_cfg.get('projector')
    if proj_cfg is None:
        raise KeyError(f'{args.config} has no model.projector to encode with')
    projector = MODELS.build(proj_cfg).to(args.device).eval()
    preprocessor = MODELS.build(model_cfg.data_preprocessor).to(args.device)
    dataset = deterministic_dataset(cfg, args.split)
    os.makedirs(args.out, exist_ok=True)
    n, dtype = len(dataset), getattr(torch, args.dtype)
    flips = (False, True) if args.flip else (False,)
    shards, fields, started = [], None, time.time()
    stats = torch.zeros(3, dtype=torch.float64)  # count, sum, sum of squares of latents
    n_shards = (n + args.shard_size - 1) // args.shard_size
    print(f'encoding {n} images of {cfg[f"{args.split}_dataloader"].dataset.type} with {proj_cfg.type} '
          f'into {n_shards} shard(s) x {len(flips)} view(s) at {args.out}')  # fmt: skip
    bar = ProgressBar(n * len(flips))
    for s in range(n_shards):
        name = f'shard_{s:05d}.pt'
        path = osp.join(args.out, name)
        lo, hi = s * args.shard_size, min(n, (s + 1) * args.shard_size)
        if osp.isfile(path):  # written by an earlier, interrupted run
            data = torch.load(path, weights_only=True)
            fields = [k for k in data if k not in ('gt_label', 'flipped', '_stats')]
            shards.append(dict(file=name, size=len(data['gt_label']), start=lo))
            stats += data['_stats']
            bar.update(len(data['gt_label']))
            continue
        parts, labels, flipped, shard_stats = {}, [], [], torch.zeros(3, dtype=torch.float64)
        for flip in flips:
            for b in range(lo, hi, args.batch_size):
                batch = default_collate([dataset[i] for i in range(b, min(hi, b + args.batch_size))])
                images = preprocessor(dict(inputs=batch['inputs'].to(args.device)), False)['inputs']
                if flip:
                    images = images.flip(-1)
                record = projector.cache_encode(images)
                latents = projector.from_cache(record).double()
                shard_stats += torch.tensor([latents.numel(), latents.sum().item(), latents.pow(2).sum().item()],
                                            dtype=torch.float64)  # fmt: skip
                for k, v in record.items():
                    v = v.cpu()
                    v = v.to(dtype) if v.is_floating_point() else v.to(torch.int16 if v.max() < 32768 else v.dtype)
                    parts.setdefault(k, []).append(v)
                labels.append(batch['data_samples']['gt_label'])
                flipped += [flip] * images.shape[0]
                bar.update(images.shape[0])
        data = {k: torch.cat(v) for k, v in parts.items()}
        fields = list(data)
        data.update(gt_label=torch.cat(labels), flipped=torch.tensor(flipped), _stats=shard_stats)
        atomic_torch_save(data, path)
        stats += shard_stats
        shards.append(dict(file=name, size=len(data['gt_label']), start=lo))
    probe = preprocessor(dict(inputs=default_collate([dataset[0]])['inputs'].to(args.device)), False)['inputs']
    latent_shape = list(projector.from_cache(projector.cache_encode(probe)).shape[1:])
    count, total, total_sq = stats.tolist()
    mean = total / max(count, 1)
    std = (total_sq / max(count, 1) - mean**2) ** 0.5
    manifest = dict(
        complete=True,
        projector=projector_identity(proj_cfg),
        projector_checkpoint=proj_cfg.get('checkpoint'),
        image_size=int(probe.shape[-1]),
        dataset=dict(type=cfg[f'{args.split}_dataloader'].dataset.type, split=args.split, size=n),
        flips=args.flip,
        fields=fields,
        dtype=args.dtype,
        shards=shards,
        latent_shape=latent_shape,
        latent_mean=mean,
        latent_std=std,
        suggested_scaling_factor=1.0 / std if std > 0 else None,
        seconds=time.time() - started,
        config=osp.abspath(args.config),
    )
    atomic_write(osp.join(args.out, MANIFEST), lambda f: json.dump(manifest, f, indent=2), mode='w')
    print(
        f'\nlatent std {std:.4f} (mean {mean:.4f}); scaling_factor={1 / std:.4f} would give unit variance; '
        f'{n * len(flips)} latents in {time.time() - started:.1f} s -> {osp.join(args.out, MANIFEST)}'
    )


if __name__ == '__main__':
    main()
