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
        backend: mmcv's decoder, 'cv2' (default) or 'pillow'. Pillow refuses truncated files (OpenCV decodes
            what is there and greys the rest) and converts CMYK and palette images to RGB.
    """

    def __init__(self, color_type: str = 'color', skip_corrupt: bool = False, backend: str = 'cv2') -> None:
        if backend not in ('cv2', 'pillow'):
            raise ValueError(f"LoadImage: backend must be 'cv2' or 'pillow', got {backend!r}")
        self.color_type, self.skip_corrupt, self.backend = color_type, skip_corrupt, backend
        self.num_skipped = 0

    def transform(self, results: dict) -> Optional[dict]:
        path = results.get('img_path', '<bytes>')
        try:
            data = results.pop('img_bytes', None)
            if data is None:
                data = get(path)
            img = mmcv.imfrombytes(data, flag=self.color_type, channel_order='rgb', backend=self.backend)
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
        return (f'LoadImage(color_type={self.color_type!r}, skip_corrupt={self.skip_corrupt}, '
                f'backend={self.backend!r})')  # fmt: skip


@TRANSFORMS.register_module()
class LoadRandomResizedCrop(BaseTransform):
    """``LoadImage`` + ``RandomResizedCrop`` in one step that decodes a JPEG only at the scale the crop needs.

    The crop box is drawn exactly as ``RandomResizedCrop`` draws it (same algorithm and random calls), from the
    image size in the file header; libjpeg then decodes at the smallest of 1, 1/2, 1/4, 1/8 scale at which the box
    still covers the output size (PIL's draft mode), so a 500×375 photo cropped to 224 is often decoded at half
    size — the decode is most of a data worker's time. Other formats decode fully. Output: RGB (H, W, 3) uint8 of
    ``scale``; CMYK and grayscale files are converted; EXIF orientation is not applied (as torchvision's loader).

    Args:
        scale, crop_ratio_range, aspect_ratio_range, interpolation, max_attempts: as ``RandomResizedCrop``.
        skip_corrupt: as ``LoadImage``: on an unreadable or truncated file, log it and return None.
    """

    def __init__(self, scale, crop_ratio_range=(0.08, 1.0), aspect_ratio_range=(3 / 4, 4 / 3),
                 interpolation: str = 'bicubic', max_attempts: int = 10,
                 skip_corrupt: bool = False) -> None:  # fmt: skip
        from .processing import RandomResizedCrop

        self.crop = RandomResizedCrop(scale, crop_ratio_range, aspect_ratio_range, interpolation, max_attempts)
        self.skip_corrupt = skip_corrupt
        self.num_skipped = 0

    def _decode_crop(self, data: bytes) -> np.ndarray:
        import io

        from PIL import Image

        img = Image.open(io.BytesIO(data))
        width, height = img.size
        top, left, h, w = self.crop.crop_box(height, width)
        out_h, out_w = self.crop.scale
        need = max(out_w / w, out_h / h)  # the image scale at which the box is exactly the output size
        if img.format == 'JPEG' and need < 1:
            img.draft('RGB', (max(1, int(np.ceil(width * need))), max(1, int(np.ceil(height * need)))))
        fx, fy = img.size[0] / width, img.size[1] / height  # 1, 1/2, 1/4 or 1/8 after a draft
        box = (round(left * fx), round(top * fy), max(round((left + w) * fx), round(left * fx) + 1),
               max(round((top + h) * fy), round(top * fy) + 1))  # fmt: skip
        img = img.convert('RGB') if img.mode != 'RGB' else img
        region = np.asarray(img.crop(box))
        return mmcv.imresize(region, (out_w, out_h), interpolation=self.crop.interpolation)

    def transform(self, results: dict) -> Optional[dict]:
        path = results.get('img_path', '<bytes>')
        try:
            data = results.pop('img_bytes', None)
            if data is None:
                data = get(path)
            img = self._decode_crop(data)
        except FileNotFoundError:
            raise
        except Exception as e:
            if not self.skip_corrupt:
                raise ValueError(f'cannot decode image {path}: {e}. Remove the file, or set skip_corrupt=True to '
                                 'skip corrupt images during training') from e  # fmt: skip
            self.num_skipped += 1
            print_log(f'skipped corrupt image {path} ({self.num_skipped} skipped so far)', logger='current', level=30)
            return None
        results['img'] = np.ascontiguousarray(img)
        results['img_shape'] = results['ori_shape'] = img.shape[:2]
        return results

    def __repr__(self) -> str:
        return f'LoadRandomResizedCrop(scale={self.crop.scale}, crop_ratio_range={self.crop.crop_ratio_range})'
