"""Image-file datasets: the ImageNet layout (class folders and/or an annotation file) and a plain folder."""

import os
import os.path as osp
from typing import List, Optional, Sequence

from mmengine.dataset import BaseDataset

from lmdkit.registry import DATASETS

IMG_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.ppm', '.bmp', '.pgm', '.tif', '.tiff', '.webp')


def _is_image(name: str) -> bool:
    return name.lower().endswith(IMG_EXTENSIONS)


def _require_dir(path: str, what: str, hint: str = '') -> None:
    if not osp.isdir(path):
        raise FileNotFoundError(f'{what}: folder not found: {path}{hint}')


def list_images(root: str) -> List[str]:
    """Sorted paths (relative to ``root``) of every image file below ``root``."""
    found = []
    for dirpath, _, files in os.walk(root, followlinks=True):
        found += [osp.relpath(osp.join(dirpath, f), root) for f in files if _is_image(f)]
    return sorted(found)


@DATASETS.register_module()
class ImageNet(BaseDataset):
    """ImageNet-style classification data.

    Layout ``data_root/<split>/<class>/<image>`` (labels from sorted class folder names), or an annotation file
    of ``relative/path label`` lines (paths relative to ``data_root/<split>``), as in ImageNet's ``val.txt``.

    Args:
        data_root: dataset root.
        split: sub-folder of ``data_root`` holding the images ('train', 'val', or '' for data_root itself).
        ann_file: optional annotation file (absolute, or relative to ``data_root``).
        classes: optional class names; default: the class folders, or ``class_<i>`` for an annotation file.
    """

    def __init__(
        self,
        data_root: str,
        split: str = 'train',
        ann_file: str = '',
        classes: Optional[Sequence[str]] = None,
        pipeline: Sequence = (),
        **kwargs,
    ) -> None:
        self.split, self._classes = split, classes
        metainfo = kwargs.pop('metainfo', None) or ({'classes': tuple(classes)} if classes else None)
        super().__init__(data_root=data_root, ann_file=ann_file, metainfo=metainfo, pipeline=list(pipeline), **kwargs)

    @property
    def image_root(self) -> str:
        return osp.join(self.data_root, self.split) if self.split else self.data_root

    def load_data_list(self) -> List[dict]:
        hint = " (set data_root to the folder holding train/ and val/, or split='')"
        _require_dir(self.image_root, type(self).__name__, hint)
        records = self._from_ann_file() if self.ann_file else self._from_folders()
        if not records:
            raise FileNotFoundError(f'{type(self).__name__}: no images found under {self.image_root}')
        return records

    def _from_ann_file(self) -> List[dict]:
        if not osp.isfile(self.ann_file):
            raise FileNotFoundError(f'{type(self).__name__}: annotation file not found: {self.ann_file}')
        records = []
        with open(self.ann_file) as f:
            for lineno, line in enumerate(f, 1):
                if not line.strip():
                    continue
                parts = line.rsplit(maxsplit=1)
                if len(parts) != 2 or not parts[1].lstrip('-').isdigit():
                    raise ValueError(f'{self.ann_file}:{lineno}: expected "relative/path label", got {line.strip()!r}')
                records.append(dict(img_path=osp.join(self.image_root, parts[0]), gt_label=int(parts[1])))
        if 'classes' not in self._metainfo:
            num = max(r['gt_label'] for r in records) + 1 if records else 0
            self._metainfo['classes'] = tuple(f'class_{i}' for i in range(num))
        return records

    def _from_folders(self) -> List[dict]:
        folders = sorted(d for d in os.listdir(self.image_root) if osp.isdir(osp.join(self.image_root, d)))
        if not folders:
            raise FileNotFoundError(
                f'{type(self).__name__}: {self.image_root} has no class folders; use the layout '
                '<split>/<class>/<image> or pass ann_file'
            )
        classes = list(self._metainfo.get('classes') or folders)
        unknown = sorted(set(folders) - set(classes))
        if unknown:
            raise ValueError(f'{type(self).__name__}: class folders {unknown} are not in the given classes')
        self._metainfo['classes'] = tuple(classes)
        records = []
        for folder in folders:
            label = classes.index(folder)
            for rel in list_images(osp.join(self.image_root, folder)):
                records.append(dict(img_path=osp.join(self.image_root, folder, rel), gt_label=label))
        return records


@DATASETS.register_module()
class UnlabeledImageFolder(BaseDataset):
    """Every image below ``data_root`` (recursively), without labels (``gt_label = -1``)."""

    def __init__(self, data_root: str, pipeline: Sequence = (), **kwargs) -> None:
        super().__init__(data_root=data_root, pipeline=list(pipeline), **kwargs)

    def load_data_list(self) -> List[dict]:
        _require_dir(self.data_root, 'UnlabeledImageFolder')
        paths = list_images(self.data_root)
        if not paths:
            raise FileNotFoundError(
                f'UnlabeledImageFolder: no images ({", ".join(IMG_EXTENSIONS)}) found under {self.data_root}'
            )
        return [dict(img_path=osp.join(self.data_root, p), gt_label=-1) for p in paths]
