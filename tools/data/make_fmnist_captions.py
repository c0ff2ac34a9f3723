"""Write captioned Fashion-MNIST (the text-to-image analogue of LMD's Table 4): 32-px PNGs with captions.jsonl
("a light large patterned pullover": the class and three attributes measured on each image) and attributes.json
(the per-class thresholds, measured on the training images).

    python tools/data/make_fmnist_captions.py data/fmnist_captions [--fmnist-root /usr/share/datasets/fashion-mnist]

Without --fmnist-root it captions the embedded 2,000 / 500 subset. Train on it with configs/t2i/*_fmnist-captions.py.
"""

import argparse
import json
import os.path as osp
import sys
import time

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))
from lmdkit.datasets.fmnist_captions import write_fmnist_caption_folder  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('out', help='output folder (train/, test/, attributes.json)')
    parser.add_argument('--fmnist-root', help='full Fashion-MNIST idx files (default: the embedded subset)')
    parser.add_argument('--limit', type=int, help='keep the first N images of each split')
    args = parser.parse_args()
    start = time.time()
    counts = write_fmnist_caption_folder(args.out, args.fmnist_root, args.limit)
    print(json.dumps(counts))
    print(f'{counts["train"]} train + {counts["test"]} test captioned images in {time.time() - start:.1f} s -> '
          f'{args.out}')  # fmt: skip


if __name__ == '__main__':
    main()
