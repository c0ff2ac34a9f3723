"""Write an ImageNet-layout rehearsal set (photograph-like JPEGs from Fashion-MNIST, with ImageNet's odd files).

    python tools/data/make_imagenet_rehearsal.py data/imagenet_rehearsal [--train-per-class 20] [--val-per-class 5]
    tools/dist_train.sh configs/lmd/lmd_vitb_in1k.py 2 --cfg-options data_root=... (docs/scaling.md: the rehearsal)

Fashion-MNIST comes from the embedded subset, or from --fmnist-root (e.g. /usr/share/datasets/fashion-mnist after
`apt-get install -y dataset-fashion-mnist`) for more distinct items.
"""

import argparse
import json
import os.path as osp
import sys
import time

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))
from lmdkit.datasets.rehearsal import make_imagenet_rehearsal  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('root', help='output folder (train/, val/, meta/)')
    parser.add_argument('--train-per-class', type=int, default=20)
    parser.add_argument('--val-per-class', type=int, default=5)
    parser.add_argument('--classes', type=int, default=10, help='at most 10 (Fashion-MNIST classes)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--fmnist-root', help='full Fashion-MNIST idx files (default: the embedded subset)')
    parser.add_argument('--sides', type=int, nargs=2, default=(300, 500), metavar=('MIN', 'MAX'),
                        help='range of image sides in pixels (ImageNet: mostly 300-500)')  # fmt: skip
    args = parser.parse_args()
    start = time.time()
    info = make_imagenet_rehearsal(args.root, args.train_per_class, args.val_per_class, args.classes, args.seed,
                                   args.fmnist_root, tuple(args.sides))  # fmt: skip
    print(json.dumps(info, indent=2))
    print(f'{info["train"]} train + {info["val"]} val images in {time.time() - start:.1f} s -> {args.root}')


if __name__ == '__main__':
    main()
