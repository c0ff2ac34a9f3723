"""Images per second of one data worker (one core): JPEG decode + RandomResizedCrop(224) + flip on ImageNet-like
photos, lmdkit's pipelines against torchvision's ImageFolder with its standard transforms.

    python tools/analysis/bench_data.py [--root data/imagenet_rehearsal] [--per-class 30] [--rounds 5] [--sides 300 500]

Without --root a rehearsal set is written to a temporary folder (tools/data/make_imagenet_rehearsal.py; its
truncated file is left out, since torchvision's loader would stop on it). Each round passes once over every image
with each pipeline in turn, so machine drift hits all alike; the table gives the median images/s and the ratio to
torchvision's standard pipeline.
"""

import argparse
import os
import os.path as osp
import statistics
import sys
import tempfile
import time

import cv2
import torch

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))
from lmdkit.apis import register_all_modules  # noqa: E402
from lmdkit.datasets.rehearsal import make_imagenet_rehearsal  # noqa: E402
from lmdkit.registry import DATASETS  # noqa: E402

RRC = dict(scale=224, crop_ratio_range=(0.08, 1.0), interpolation='bicubic')
FLIP = dict(type='RandomFlip', prob=0.5, direction='horizontal')
PIPELINES = {
    'lmdkit LoadImage(cv2) + RandomResizedCrop': [dict(type='LoadImage'), dict(type='RandomResizedCrop', **RRC)],
    'lmdkit LoadImage(pillow) + RandomResizedCrop': [
        dict(type='LoadImage', backend='pillow'),
        dict(type='RandomResizedCrop', **RRC),
    ],  # fmt: skip
    'lmdkit LoadRandomResizedCrop (reduced-scale JPEG decode)': [dict(type='LoadRandomResizedCrop', **RRC)],
}


def torchvision_dataset(root: str, uint8: bool):
    from torchvision import datasets, transforms

    tail = [transforms.PILToTensor()] if uint8 else [
        transforms.ToTensor(), transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])]  # fmt: skip
    tf = transforms.Compose([transforms.RandomResizedCrop(224), transforms.RandomHorizontalFlip(), *tail])
    return datasets.ImageFolder(osp.join(root, 'train'), transform=tf)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--root', help='an ImageNet-layout folder (default: a fresh rehearsal set)')
    parser.add_argument('--per-class', type=int, default=30, help='rehearsal images per class when writing one')
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--sides', type=int, nargs=2, default=(300, 500), metavar=('MIN', 'MAX'),
                        help='image sides of the rehearsal set written (ImageNet: mostly 300-500 px)')  # fmt: skip
    args = parser.parse_args()
    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    register_all_modules()
    tmp = None
    if args.root is None:
        tmp = tempfile.TemporaryDirectory()
        info = make_imagenet_rehearsal(tmp.name, train_per_class=args.per_class, val_per_class=1,
                                       sides=tuple(args.sides))  # fmt: skip
        for rel in info['odd']['truncated']:
            os.remove(osp.join(tmp.name, 'train', rel))
        root = tmp.name
    else:
        root = args.root
    pack = dict(type='PackInputs')
    datasets = {name: DATASETS.build(dict(type='ImageNet', data_root=root, pipeline=[*p, FLIP, pack]))
                for name, p in PIPELINES.items()}  # fmt: skip
    datasets['torchvision ImageFolder, standard (ToTensor + Normalize)'] = torchvision_dataset(root, uint8=False)
    datasets['torchvision ImageFolder, uint8 (PILToTensor)'] = torchvision_dataset(root, uint8=True)
    n = len(next(iter(datasets.values())))
    print(f'{n} images under {root}, one process, 1 thread; {args.rounds} rounds')
    rates = {name: [] for name in datasets}
    for r in range(args.rounds):
        for name, ds in datasets.items():
            start = time.perf_counter()
            for i in range(len(ds)):
                ds[i]
            rates[name].append(len(ds) / (time.perf_counter() - start))
        print(f'round {r + 1}: ' + ', '.join(f'{statistics.median(v):.0f}' for v in rates.values()), flush=True)
    base = statistics.median(rates['torchvision ImageFolder, standard (ToTensor + Normalize)'])
    print('\n| pipeline (decode + RandomResizedCrop 224 + flip) | images/s per core | vs torchvision |\n|---|---|---|')
    for name, values in rates.items():
        med = statistics.median(values)
        print(f'| {name} | {med:.0f} (min {min(values):.0f}, max {max(values):.0f}) | {med / base:.2f}× |')
    if tmp is not None:
        tmp.cleanup()


if __name__ == '__main__':
    main()
