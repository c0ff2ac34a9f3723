"""Generate samples from a trained diffusion model: a PNG grid and an ADM-format .npz.

    python tools/sample.py CONFIG CHECKPOINT [--num 100] [--steps 50] [--sampler ddim|ddpm] [--eta 0]
        [--cfg-scale 2.0] [--cfg-schedule constant|linear|power-cosine] [--cfg-power 1] [--guide-channels 3]
        [--labels 0 1 2 ... | --prompts FILE] [--seed 0] [--batch-size 50] [--no-ema] [--amp [bf16|fp16]] [--out DIR]
        [--cfg-options k=v ...] [--fit-prior N] [--complete N]
        (LMD configs: iterative unmasking, --steps = unmasking steps; --complete: conditional completion of N test
        images, DIR/completion.png)

Writes DIR/samples.png (one row per class) and DIR/samples.npz with ``arr_0`` uint8 (N, H, W, C) images and
``arr_1`` int64 labels (the layout of the ADM evaluation suite). A text-conditioned model samples from --prompts
(a text file, one caption per line, or a captions.jsonl; cycled to --num): the npz holds them as ``captions`` (and
``prompt_index``, each one's index among the file's non-blank prompts), the grid has a row per prompt. The EMA
weights of the checkpoint are used when it has them (MMEngine's EMAHook), unless --no-ema. Sampling is reproducible
for a given --seed.
"""

import argparse
import os
import os.path as osp
import sys
from contextlib import contextmanager
from typing import Optional

import numpy as np
import torch
from mmengine.config import DictAction

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..'))

from lmdkit.apis import init_model, setup_process  # noqa: E402
from lmdkit.datasets.captions import read_prompts  # noqa: E402
from lmdkit.engine.precision import add_amp_argument, amp_dtype  # noqa: E402
from lmdkit.fileio import atomic_write  # noqa: E402
from lmdkit.models.contracts import LatentCompleter, LatentPriorFitter  # noqa: E402
from lmdkit.utils.images import to_uint8  # noqa: E402
from lmdkit.visualization import save_image_rows  # noqa: E402


def complete_test_images(model, args) -> None:
    """LMD conditional completion: the first N test images, a random share of their tokens kept, the rest generated;
    writes DIR/completion.png (rows: input, kept tokens, completion)."""
    from mmengine.dataset import default_collate

    from lmdkit.models.layers import patch_mask_to_image
    from lmdkit.registry import DATASETS

    if not isinstance(model, LatentCompleter):
        raise SystemExit(f'--complete needs a model that completes latents (LMD); {type(model).__name__} does not')
    dataset = DATASETS.build(model.cfg.test_dataloader.dataset)
    batch = default_collate([dataset[i] for i in range(min(args.complete, len(dataset)))])
    data = model.data_preprocessor(batch, False)
    # a text-conditioned LMD completes each image from its own caption (a caption dataset's test split)
    captions = batch['data_samples'].get('caption') if model.text_encoder is not None else None
    out = model.complete(data['inputs'], generator=torch.Generator().manual_seed(args.seed), captions=captions, **(
        {'steps': args.steps} if args.steps else {}))  # fmt: skip
    pre = model.data_preprocessor
    inputs = model.projector.decode(model.encode_latents(data['inputs']))  # what the latents show
    scale = model.patch_size * model.projector.downsample_factor
    keep = patch_mask_to_image((~out['visible']).float(), model.backbone.grid_size, scale).to(inputs.device)
    rows = {'input': to_uint8(inputs, pre.mean, pre.std), 'kept tokens': to_uint8(inputs * (1 - keep), pre.mean,
            pre.std), 'completion': to_uint8(out['images'], pre.mean, pre.std)}  # fmt: skip
    out_dir = args.out or osp.join(osp.dirname(osp.abspath(args.checkpoint)), 'samples')
    os.makedirs(out_dir, exist_ok=True)
    print(f'wrote {save_image_rows(rows, osp.join(out_dir, "completion.png"), title="LMD completion")}')


def to_float32(output):
    """Floating tensors (also inside tuples/lists) as float32; everything else unchanged."""
    if isinstance(output, torch.Tensor):
        return output.float() if output.is_floating_point() else output
    if isinstance(output, (tuple, list)):
        return type(output)(to_float32(o) for o in output)
    return output


@contextmanager
def autocast_networks(model, dtype: Optional[torch.dtype]):
    """Autocast every network call to ``dtype`` (None: off) while the sampler's own arithmetic (x_t updates,
    unmasking) stays in fp32: the denoiser's (or MAE decoder's) outputs are cast back to float32 as they leave the
    network."""
    if dtype is None:
        yield
        return
    nets = [m for m in (getattr(model, 'denoiser', None), getattr(model, 'neck', None)) if m is not None]
    nets = nets or [model.backbone]
    handles = [net.register_forward_hook(lambda module, inputs, output: to_float32(output)) for net in nets]
    device_type = next(model.parameters()).device.type
    try:
        with torch.autocast(device_type=device_type, dtype=dtype):
            yield
    finally:
        for handle in handles:
            handle.remove()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--num', type=int, default=100, help='number of samples (0 with --complete: completion only)')
    parser.add_argument('--labels', type=int, nargs='+', help='class labels, cycled (default: 0, 1, 2, ...)')
    parser.add_argument('--prompts', help='text-conditioned models: captions file (one per line, or .jsonl), cycled')
    parser.add_argument('--sampler', choices=['ddim', 'ddpm'])
    parser.add_argument('--steps', type=int)
    parser.add_argument('--eta', type=float)
    parser.add_argument('--cfg-scale', type=float)
    parser.add_argument('--cfg-schedule', choices=['constant', 'linear', 'power-cosine'])
    parser.add_argument('--cfg-power', type=float)
    parser.add_argument('--guide-channels', type=int, help='guide only the first k latent channels (official DiT: 3)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--batch-size', type=int, default=50)
    parser.add_argument('--no-ema', action='store_true', help='use the raw training weights')
    add_amp_argument(parser, help='autocast the networks: bf16 (a bare --amp) or fp16; the sampler state stays fp32')
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--out', default=None, help='output folder (default: next to the checkpoint)')
    parser.add_argument(
        '--fit-prior',
        type=int,
        metavar='N',
        help='LMD: fit the latent prior on N training samples when the checkpoint has none',
    )
    parser.add_argument(
        '--complete',
        type=int,
        metavar='N',
        help='LMD: also complete N test images from a random start_visible share of their tokens',
    )
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config keys (k=v)')
    args = parser.parse_args()
    setup_process()
    model = init_model(args.config, args.checkpoint, args.device, args.cfg_options, ema=not args.no_ema)
    if isinstance(model, LatentPriorFitter) and int(model.prior_count) == 0 and args.num > 0:
        if not args.fit_prior:
            raise SystemExit('this LMD checkpoint has no latent prior (trained without LatentPriorHook): pass '
                             '--fit-prior N to fit it on N training samples of the config')  # fmt: skip
        from lmdkit.engine.hooks.latent_prior_hook import fit_prior_on_dataset
        from lmdkit.registry import DATASETS

        dataset = DATASETS.build(model.cfg.train_dataloader.dataset)
        print(f'fitted the latent prior on {fit_prior_on_dataset(model, dataset, args.fit_prior)} training samples')
    if args.complete:
        complete_test_images(model, args)
    if args.num == 0:
        return
    used_ema = model.ema_loaded
    overrides = {k: v for k, v in dict(sampler=args.sampler, steps=args.steps, eta=args.eta, cfg_scale=args.cfg_scale,
                 cfg_schedule=args.cfg_schedule, cfg_power=args.cfg_power,
                 guide_channels=args.guide_channels).items() if v is not None}  # fmt: skip
    k = max(model.num_classes, 1)
    prompts = read_prompts(args.prompts) if args.prompts else None
    # with prompts, ``labels`` indexes them (rows of the grid); the model gets the captions
    cycle = torch.tensor(args.labels) if args.labels else torch.arange(len(prompts) if prompts else k)
    labels = cycle.repeat((args.num + len(cycle) - 1) // len(cycle))[: args.num].sort(stable=True).values
    generator = torch.Generator().manual_seed(args.seed)
    images = []
    print(f'sampling {args.num} images ({"EMA" if used_ema else "raw"} weights, {dict(model.sampling, **overrides)}'
          f'{f", {args.amp} autocast" if args.amp else ""})')  # fmt: skip
    for start in range(0, args.num, args.batch_size):
        batch = labels[start : start + args.batch_size]
        with autocast_networks(model, amp_dtype(args.amp)):
            if prompts:
                out = model.sample(len(batch), captions=[prompts[i] for i in batch.tolist()], generator=generator,
                                   progress=True, **overrides)  # fmt: skip
            else:
                out = model.sample(len(batch), batch if model.num_classes > 0 else None, generator=generator,
                                   progress=True, **overrides)  # fmt: skip
        pre = model.data_preprocessor
        images.append(to_uint8(out['images'], pre.mean, pre.std))
        print(f'\n{min(start + args.batch_size, args.num)}/{args.num}')
    images = torch.cat(images)  # (N, C, H, W) uint8
    out_dir = args.out or osp.join(osp.dirname(osp.abspath(args.checkpoint)), 'samples')
    os.makedirs(out_dir, exist_ok=True)
    nhwc = images.permute(0, 2, 3, 1).numpy()
    arrays = dict(arr_0=nhwc, arr_1=labels.numpy()) if model.num_classes > 0 else dict(arr_0=nhwc)  # no fake labels
    if prompts:
        arrays['captions'] = np.array([prompts[i] for i in labels.tolist()])  # unicode, read without pickle
        arrays['prompt_index'] = labels.numpy()  # the line of --prompts each sample was drawn from
    atomic_write(osp.join(out_dir, 'samples.npz'), lambda f: np.savez(f, **arrays))
    rows = {}
    for c in labels.unique().tolist()[:32]:
        name = f'{c}: {prompts[c]}' if prompts else f'class {c}' if model.num_classes > 0 else 'samples'
        rows[name] = images[labels == c][:16]  # (prompts keyed by index too: repeated captions keep their rows)
    grid = save_image_rows(rows, osp.join(out_dir, 'samples.png'), title=osp.basename(args.checkpoint))
    print(f'wrote {grid} and {osp.join(out_dir, "samples.npz")} ({tuple(nhwc.shape)} uint8)')


if __name__ == '__main__':
    main()
