"""Image decoding from a file path or from bytes (LMDB), with an opt-in skip for corrupt files."""

from typing import Optional

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmengine.fileio import get
from mmengine.logging import print_log

from lmdkit.registry import TRANSFORMS


@TRANSFORMS.register_module()
class LoadImage(BaseTransform):
    """Decode ``results['img_bytes']`` or the file at ``results['img_path']`` into ``results['img']`` (HWC uint8).

    Args:
        color_type: 'color' (3-channel RGB), 'grayscale' (H, W) or 'unchanged'.
        skip_corrupt: on an undecodable image, log it and return None so the dataset draws another sample
            (training only; MMEngine refuses None at test time). Off by default: a corrupt file raises.
    """

    def __init__(self, color_type: str = 'color', skip_corrupt: bool = False) -> None:
        self.color_type, self.skip_corrupt = color_type, skip_corrupt
        self.num_skipped = 0

    def transform(self, results: dict) -> Optional[dict]:
        path = results.get('img_path', '<bytes>')
        try:
            data = results.pop('img_bytes', None)
            if data is None:
                data = get(path)
            img = mmcv.imfrombytes(data, flag=self.color_type, channel_order='rgb')
            if img is None:
                raise ValueError('the decoder returned nothing')
        except FileNotFoundError:
            raise
        except Exception as e:
            if not self.skip_corrupt:
                raise ValueError(
                    f'cannot decode image {path}: {e}. Remove the file, or set skip_corrupt=True in LoadImage to '
                    'skip corrupt images during training'
                ) from e
            self.num_skipped += 1
            print_log(f'skipped corrupt image {path} ({self.num_skipped} skipped so far)', logger='current', level=30)
            return None
        results['img'] = np.ascontiguousarray(img)
        results['img_shape'] = results['ori_shape'] = img.shape[:2]
        return results

    def __repr__(self) -> str:
        return f'LoadImage(color_type={self.color_type!r}, skip_corrupt={self.skip_corrupt})'
