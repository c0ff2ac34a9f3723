"""Encode a dataset once with a config's projector and store what training needs (resumable, multi-rank).

    python tools/cache_latents.py CONFIG --out DIR [--split train|val] [--flip] [--teacher] [--shard-size 10000]
    torchrun --nproc_per_node 8 tools/cache_latents.py CONFIG --out DIR --flip --launcher pytorch

CONFIG is a training config whose ``model.projector`` (with its ``checkpoint``) defines the latent space. The images
come from its train (or val) dataset through a deterministic pipeline: the config's ``cache_pipeline``, or its
pipeline with random crops replaced by a resize + centre crop to the same size and flips dropped (``--flip`` stores
the mirrored image as a second view). Under torchrun each rank encodes its own shards; shards already written are
kept when the command runs again. Unreadable images are skipped and listed in DIR/manifest.json. ``--teacher`` also
stores the features of the config's ``model.alignment.teacher`` (REPA/REG) for each view, so training reads them
instead of running the teacher; ``--text`` stores the caption embeddings of the config's frozen ``model.text_encoder``
(CLIP, T5: text-to-image on a caption dataset), so training reads them instead of encoding captions every step.
Train on the cache with ``LatentCacheDataset`` (docs/datasets.md).
"""

import argparse

from mmengine.config import DictAction

from lmdkit.apis import load_program_config, write_latent_cache
from lmdkit.engine import init_distributed, shutdown_distributed


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config')
    parser.add_argument('--out', required=True, help='cache folder')
    parser.add_argument('--split', choices=['train', 'val'], default='train', help='which dataloader to encode')
    parser.add_argument('--flip', action='store_true', help='also store the horizontally flipped images')
    parser.add_argument('--teacher', action='store_true', help="also cache model.alignment.teacher's features")
    parser.add_argument(
        '--text', action='store_true', help="also cache the frozen model.text_encoder's caption embeddings"
    )
    parser.add_argument('--shard-size', type=int, default=10_000, help='images per shard (the unit of resuming)')
    parser.add_argument('--batch-size', type=int, default=64, help='images per encoder call')
    parser.add_argument('--workers', type=int, default=2, help='image-decoding processes per rank')
    parser.add_argument('--dtype', choices=['float16', 'float32'], default='float16', help='of floating fields')
    parser.add_argument('--device', default=None, help='default: cuda when available (one GPU per rank), else cpu')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm'], default='none')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    cfg = load_program_config(args.config, args.cfg_options)
    init_distributed(args.launcher)
    try:
        write_latent_cache(cfg, args.out, split=args.split, flip=args.flip, shard_size=args.shard_size,
                           batch_size=args.batch_size, num_workers=args.workers, dtype=args.dtype,
                           device=args.device, teacher=args.teacher, text=args.text)  # fmt: skip
    finally:
        shutdown_distributed()


if __name__ == '__main__':
    main()
