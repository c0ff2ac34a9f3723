"""LSUN scenes as exported by the official tools: one LMDB per category, values are encoded images."""

import os.path as osp
from typing import List, Sequence, Union

from mmengine.dataset import BaseDataset

from lmdkit.registry import DATASETS


def _import_lmdb():
    try:
        import lmdb
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError(
            'the LSUN reader needs the `lmdb` package: pip install lmdb (requirements/optional.txt)'
        ) from e
    return lmdb


@DATASETS.register_module()
class LSUN(BaseDataset):
    """LSUN categories from LMDB folders (e.g. ``bedroom_train_lmdb``); category i gets label i.

    Samples carry ``img_bytes`` (the encoded image) for ``LoadImage``; LMDB environments are opened lazily in
    each worker process.

    Args:
        data_root: one LMDB folder, or a list of them (one per category).
    """

    def __init__(self, data_root: Union[str, Sequence[str]], pipeline: Sequence = (), **kwargs) -> None:
        self.db_paths = [data_root] if isinstance(data_root, str) else list(data_root)
        self._envs: dict = {}
        classes = tuple(osp.basename(osp.normpath(p)).replace('_lmdb', '') for p in self.db_paths)
        metainfo = kwargs.pop('metainfo', None) or dict(classes=classes)
        super().__init__(data_root='', metainfo=metainfo, pipeline=list(pipeline), **kwargs)

    def _env(self, label: int):
        if label not in self._envs:
            lmdb = _import_lmdb()
            path = self.db_paths[label]
            if not osp.exists(path):
                raise FileNotFoundError(
                    f'LSUN: LMDB not found: {path} (export it with the official LSUN tools, e.g. bedroom_train_lmdb)'
                )
            self._envs[label] = lmdb.open(path, readonly=True, lock=False, readahead=False, meminit=False)
        return self._envs[label]

    def load_data_list(self) -> List[dict]:
        records = []
        for label in range(len(self.db_paths)):
            with self._env(label).begin(write=False) as txn:
                keys = list(txn.cursor().iternext(keys=True, values=False))
            if not keys:
                raise FileNotFoundError(f'LSUN: the LMDB {self.db_paths[label]} holds no images')
            records += [
                dict(key=key, gt_label=label, img_path=f'{self.db_paths[label]}:{key.decode()}') for key in keys
            ]
        self._envs = {}  # reopen after fork (LMDB handles must not cross processes)
        return records

    def get_data_info(self, idx: int) -> dict:
        info = super().get_data_info(idx)
        with self._env(info['gt_label']).begin(write=False) as txn:
            info['img_bytes'] = txn.get(info['key'])
        return info

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state['_envs'] = {}
        return state
