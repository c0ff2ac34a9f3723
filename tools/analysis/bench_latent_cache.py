"""What a latent cache buys at real scale: SD-VAE (sd-vae-ft-mse architecture, random weights) cache-build
throughput at 256 px, bytes per image, and LMD ViT-B training steps on 28×28×4 latents read from the cache against
encoding the 224-px images in every step.

    python tools/analysis/bench_latent_cache.py [--images 16] [--batch 8] [--rounds 3] [--device cpu]

Photos come from a fresh rehearsal set (tools/data/make_imagenet_rehearsal.py). The two training steps are the
headline config's model and optimiser (configs/lmd/lmd_vitb_in1k.py), timed alternately (A, B, A, B, …) in this one
process so that machine drift hits both alike; the table gives medians.
"""

import argparse
import os
import os.path as osp
import statistics
import sys
import tempfile
import time

import torch
from mmengine.config import Config
from mmengine.dataset import default_collate
from mmengine.optim import build_optim_wrapper

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))
from lmdkit.apis import (
    register_all_modules,  # noqa: E402
    write_latent_cache,  # noqa: E402
)
from lmdkit.datasets.rehearsal import make_imagenet_rehearsal  # noqa: E402
from lmdkit.engine import apply_recipe  # noqa: E402
from lmdkit.registry import DATASETS, MODELS  # noqa: E402

HEADLINE = osp.join(osp.dirname(osp.abspath(__file__)), '..', '..', 'configs', 'lmd', 'lmd_vitb_in1k.py')


def cache_config(root: str, size: int, images: int, checkpoint: str) -> Config:
    pipeline = [dict(type='LoadImage', backend='pillow'), dict(type='RandomResizedCrop', scale=size),
                dict(type='RandomFlip', prob=0.5), dict(type='PackInputs')]  # fmt: skip
    dataset = dict(type='ImageNet', data_root=root, indices=images, pipeline=pipeline)
    return Config(dict(
        model=dict(data_preprocessor=dict(type='ImageOrLatentPreprocessor', mean=[127.5] * 3, std=[127.5] * 3),
                   projector=dict(type='AutoencoderKLProjector', checkpoint=checkpoint)),
        train_dataloader=dict(dataset=dataset)))  # fmt: skip


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--images', type=int, default=16, help='images encoded for the cache-build timing')
    parser.add_argument('--batch', type=int, default=8, help='images per training step')
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    args = parser.parse_args()
    register_all_modules()
    torch.set_flush_denormal(True)
    tmp = tempfile.TemporaryDirectory()
    root = osp.join(tmp.name, 'imagenet')
    info = make_imagenet_rehearsal(root, train_per_class=-(-max(args.images, args.batch) // 10) + 1, val_per_class=1)
    for rel in info['odd']['truncated']:  # timings of readable images only
        os.remove(osp.join(root, 'train', rel))
    torch.manual_seed(0)
    weights = osp.join(tmp.name, 'sd-vae.pt')
    torch.save(MODELS.build(dict(type='AutoencoderKLProjector')).state_dict(), weights)  # LDM layout, random

    # 1. cache build at 256 px (decode + resize/centre crop + two encoder passes: image and flip)
    out = osp.join(tmp.name, 'cache256')
    start = time.perf_counter()
    manifest = write_latent_cache(cache_config(root, 256, args.images, weights), out, flip=True,
                                  batch_size=args.batch, num_workers=1, device=args.device)  # fmt: skip
    build_rate = manifest['rows'] / (time.perf_counter() - start)

    # 2. LMD ViT-B steps at 224 px: encode every step vs cached latents
    cfg = Config.fromfile(HEADLINE)
    apply_recipe(cfg, 1, dataset_size=lambda: 1_281_167)
    cfg.model.projector.checkpoint = weights
    torch.manual_seed(0)
    model = MODELS.build(cfg.model).to(args.device).train()
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    images_ds = DATASETS.build(cache_config(root, 224, args.batch, weights).train_dataloader.dataset)
    image_batch = default_collate([images_ds[i] for i in range(args.batch)])
    out224 = osp.join(tmp.name, 'cache224')
    write_latent_cache(cache_config(root, 224, args.batch, weights), out224, flip=True, batch_size=args.batch,
                       num_workers=0, device=args.device)  # fmt: skip
    cache_ds = DATASETS.build(dict(type='LatentCacheDataset', cache_dir=out224, projector=cfg.model.projector))
    model.set_progress(0.5, 0)
    steps = {
        'encode on the fly (SD-VAE encoder + ViT-B step)': lambda: model.train_step(dict(image_batch), wrapper),
        'from the latent cache (read + ViT-B step)': lambda: model.train_step(
            default_collate([cache_ds[(i, 0)] for i in range(args.batch)]), wrapper
        ),
    }
    for step in steps.values():  # warm-up
        step()
    times = {name: [] for name in steps}
    for _ in range(args.rounds):
        for name, step in steps.items():
            times[name].append(timed(step))
    tmp.cleanup()

    print(f'\ndevice {args.device}, torch threads {torch.get_num_threads()}, batch {args.batch}\n')
    print('| measure | value |\n|---|---|')
    print(f'| cache build, 256 px, image + flip (decode, encoder x2, write) | {build_rate:.2f} images/s |')
    print(f'| cache size per image at 256 px (2 views x mean, log-variance x 4x32x32 fp16) | '
          f'{manifest["bytes_per_image"]:,} bytes |')  # fmt: skip
    print(f'| ImageNet-1k at 224 px (2 views x 2 x 4x28x28 fp16 = 25,088 bytes) | {1_281_167 * 25_088 / 1e9:.1f} GB |')
    medians = {name: statistics.median(v) for name, v in times.items()}
    for name, med in medians.items():
        print(f'| LMD ViT-B step, {name} | {med:.3f} s ({args.batch / med:.1f} images/s) |')
    a, b = medians.values()
    print(f'| speed-up of the cached step | {a / b:.1f}x |')


if __name__ == '__main__':
    main()
