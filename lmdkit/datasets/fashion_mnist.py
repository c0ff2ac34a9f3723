"""Fashion-MNIST (Xiao et al., 2017): the full set from its idx files, and the subset embedded in lmdkit."""

import os.path as osp
from typing import List, Optional, Sequence

import numpy as np
from mmengine.dataset import BaseDataset

from lmdkit.registry import DATASETS

from .idx import read_idx

FMNIST_CLASSES = (
    'T-shirt/top',
    'Trouser',
    'Pullover',
    'Dress',
    'Coat',
    'Sandal',
    'Shirt',
    'Sneaker',
    'Bag',
    'Ankle boot',
)
EMBEDDED_FILE = osp.join(osp.dirname(__file__), 'data', 'fmnist_mini.npz')
DEBIAN_ROOT = '/usr/share/datasets/fashion-mnist'
_FILES = {'train': 'train', 'test': 't10k'}


def _records(images: np.ndarray, labels: np.ndarray) -> List[dict]:
    return [dict(img=img, gt_label=int(label)) for img, label in zip(images, labels)]


def _check_split(split: str) -> None:
    if split not in _FILES:
        raise ValueError(f"split must be 'train' or 'test', got '{split}'")


@DATASETS.register_module()
class FashionMNIST(BaseDataset):
    """The 60k/10k Fashion-MNIST splits read from ``{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]``.

    Each sample is a (28, 28) uint8 ``img`` and an integer ``gt_label``. On Debian the files come with
    ``apt-get install -y dataset-fashion-mnist`` (then ``data_root='/usr/share/datasets/fashion-mnist'``).
    """

    METAINFO = dict(classes=FMNIST_CLASSES)

    def __init__(self, data_root: str = DEBIAN_ROOT, split: str = 'train', pipeline: Sequence = (), **kwargs) -> None:
        _check_split(split)
        self.split = split
        super().__init__(data_root=data_root, pipeline=list(pipeline), **kwargs)

    def _find(self, kind: str) -> str:
        stem = osp.join(self.data_root, f'{_FILES[self.split]}-{kind}-ubyte')
        for path in (stem + '.gz', stem):
            if osp.isfile(path):
                return path
        raise FileNotFoundError(
            f'Fashion-MNIST: no {stem}[.gz] under data_root={self.data_root!r}. Install it with '
            f"'apt-get install -y dataset-fashion-mnist' (files land in {DEBIAN_ROOT}) or point data_root at "
            'a folder holding the four idx files.'
        )

    def load_data_list(self) -> List[dict]:
        if not osp.isdir(self.data_root):
            self._find('images-idx3')  # raises the helpful error
        images, labels = read_idx(self._find('images-idx3')), read_idx(self._find('labels-idx1'))
        if len(images) != len(labels):
            raise ValueError(f'Fashion-MNIST {self.split}: {len(images)} images but {len(labels)} labels')
        return _records(images, labels)


@DATASETS.register_module()
class EmbeddedFashionMNIST(BaseDataset):
    """A stratified Fashion-MNIST subset shipped inside lmdkit (2,000 train / 500 test, 10 classes, uint8).

    Built by ``tools/data/make_embedded_fmnist.py``; needs no download, so it backs the quick-start and the tests.
    """

    METAINFO = dict(classes=FMNIST_CLASSES)

    def __init__(
        self, split: str = 'train', pipeline: Sequence = (), data_file: Optional[str] = None, **kwargs
    ) -> None:
        _check_split(split)
        self.split, self.data_file = split, data_file or EMBEDDED_FILE
        super().__init__(pipeline=list(pipeline), **kwargs)

    def load_data_list(self) -> List[dict]:
        if not osp.isfile(self.data_file):
            raise FileNotFoundError(
                f'embedded Fashion-MNIST file missing: {self.data_file}; reinstall lmdkit or rebuild it with '
                'tools/data/make_embedded_fmnist.py'
            )
        with np.load(self.data_file) as arrays:
            return _records(arrays[f'{self.split}_images'], arrays[f'{self.split}_labels'])
