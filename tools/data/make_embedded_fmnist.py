"""Build the embedded Fashion-MNIST subset shipped in ``lmdkit/datasets/data/fmnist_mini.npz``.

A stratified sample (equal count per class) of the official train and test splits, uint8, zip-compressed.
Source: Debian's ``dataset-fashion-mnist`` package (``apt-get install -y dataset-fashion-mnist``).

    python tools/data/make_embedded_fmnist.py --train-per-class 200 --test-per-class 50
"""

import argparse
import os.path as osp

import numpy as np

from lmdkit.datasets.idx import read_idx

DEFAULT_ROOT = '/usr/share/datasets/fashion-mnist'
DEFAULT_OUT = osp.join(osp.dirname(__file__), '..', '..', 'lmdkit', 'datasets', 'data', 'fmnist_mini.npz')


def stratified_indices(labels: np.ndarray, per_class: int, rng: np.random.Generator) -> np.ndarray:
    """``per_class`` random indices of every class, sorted so the file order is stable."""
    picks = [rng.choice(np.flatnonzero(labels == c), per_class, replace=False) for c in np.unique(labels)]
    return np.sort(np.concatenate(picks))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--data-root', default=DEFAULT_ROOT)
    parser.add_argument('--out', default=DEFAULT_OUT)
    parser.add_argument('--train-per-class', type=int, default=200)
    parser.add_argument('--test-per-class', type=int, default=50)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    arrays = {}
    for split, prefix, per_class in (('train', 'train', args.train_per_class), ('test', 't10k', args.test_per_class)):
        images = read_idx(osp.join(args.data_root, f'{prefix}-images-idx3-ubyte.gz'))
        labels = read_idx(osp.join(args.data_root, f'{prefix}-labels-idx1-ubyte.gz'))
        idx = stratified_indices(labels, per_class, rng)
        arrays[f'{split}_images'] = images[idx]
        arrays[f'{split}_labels'] = labels[idx]
        arrays[f'{split}_source_index'] = idx.astype(np.int32)
        print(f'{split}: {len(idx)} images, {per_class} per class')
    np.savez_compressed(args.out, **arrays)
    print(f'wrote {osp.abspath(args.out)} ({osp.getsize(args.out) / 1e6:.2f} MB)')


if __name__ == '__main__':
    main()
