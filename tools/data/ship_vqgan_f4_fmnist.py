"""Build the f4 Fashion-MNIST VQ-GAN shipped in ``lmdkit/pretrained/vqgan_f4_fmnist/`` (the latent space every
Fashion-MNIST latent-space config uses, ``lmdkit://pretrained/vqgan_f4_fmnist``).

    apt-get install -y dataset-fashion-mnist
    python tools/train.py configs/vqgan/vqgan_f4_fmnist.py --work-dir work_dirs/vqgan_f4_fmnist
    python tools/data/ship_vqgan_f4_fmnist.py work_dirs/vqgan_f4_fmnist/iter_4000.pth

Exports the checkpoint as a model folder (``lmdkit.apis.export_pretrained``: weights, resolved config, model card
with the run's validation metrics on the 10,000 test images) and adds to the card how it was made and its PSNR on
the embedded 500 test images, which tests/test_models/test_projectors.py recomputes against the shipped file.
"""

import argparse
import os.path as osp

import numpy as np
import torch
from mmengine.config import Config

from lmdkit.apis import export_pretrained, register_all_modules
from lmdkit.registry import DATASETS, MODELS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = 'configs/vqgan/vqgan_f4_fmnist.py'
DEFAULT_OUT = osp.join(ROOT, 'lmdkit', 'pretrained', 'vqgan_f4_fmnist')


def embedded_test_psnr(folder: str) -> float:
    """Mean per-image PSNR (uint8) of the projector in ``folder`` on the embedded 500 test images."""
    arch = Config.fromfile(osp.join(ROOT, 'configs', '_base_', 'models', 'projectors', 'vqgan_f4_32px.py'))
    projector = MODELS.build(dict(arch.vqgan_f4_32px, checkpoint=folder)).eval()
    data = Config.fromfile(osp.join(ROOT, 'configs', '_base_', 'datasets', 'fmnist_mini.py'))
    dataset = DATASETS.build(data.test_dataloader.dataset)
    images = torch.stack([dataset[i]['inputs'] for i in range(len(dataset))])
    with torch.no_grad():
        out = projector.decode(projector.encode(images.float() / 127.5 - 1))
    recon = ((out.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    mse = ((recon.double() - images.double()) ** 2).flatten(1).mean(1)
    return float(np.mean(10 * np.log10(255.0**2 / mse.clamp_min(1e-10).numpy())))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('checkpoint', help='the 4,000-iteration checkpoint of configs/vqgan/vqgan_f4_fmnist.py')
    parser.add_argument('--out', default=DEFAULT_OUT)
    parser.add_argument('--note', default='', help='a sentence for the card about how the run was made')
    args = parser.parse_args()
    register_all_modules()
    made = export_pretrained(osp.join(ROOT, CONFIG), args.checkpoint, args.out)
    psnr = embedded_test_psnr(args.out)
    section = f"""
## Shipped with lmdkit

The latent space of every Fashion-MNIST latent-space config (`lmdkit://pretrained/vqgan_f4_fmnist`): 32 px,
1 channel -> 8x8x4 latents, 512 codes. Made with

```bash
apt-get install -y dataset-fashion-mnist
python tools/train.py {CONFIG} --work-dir work_dirs/vqgan_f4_fmnist
python tools/data/ship_vqgan_f4_fmnist.py work_dirs/vqgan_f4_fmnist/iter_4000.pth
```

| metric | value |
|---|---|
| test PSNR (embedded 500) | {psnr:.2f} dB |

(The validation rows above are the run's last validation, on the 10,000 test images.) {args.note}
Retraining gives another
latent space: point `model.projector.checkpoint` at your own run, and rebuild latent caches made with this one
(a cache refuses other weights, naming both hashes).
"""
    with open(osp.join(args.out, 'README.md'), 'a') as f:
        f.write(section)
    print(f'{args.out}: sha256 {made["sha256"]}, {made["tensors"]} tensors, embedded-test PSNR {psnr:.2f} dB')


if __name__ == '__main__':
    main()
