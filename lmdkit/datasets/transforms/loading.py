"""Image decoding from a file path or from bytes (LMDB), with an opt-in skip for corrupt files."""

import os.path as osp
from typing import Callable, Optional

import cv2
import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmengine.fileio import get
from mmengine.logging import print_log

from lmdkit.registry import TRANSFORMS


def is_complete_jpeg(data: bytes) -> bool:
    """Whether JPEG ``data`` ends with the end-of-image marker (padding zeros aside): a cut-off download does not."""
    return data.rstrip(b'\0')[-2:] == b'\xff\xd9'


def decode_bytes(data: bytes, flag: str = 'color', backend: str = 'cv2') -> np.ndarray:
    """Decode image ``data`` to RGB (or grayscale) uint8 with mmcv's ``backend``. OpenCV decodes a truncated JPEG
    silently (greying what is missing), so a JPEG without its end marker goes to Pillow, which raises."""
    if backend == 'cv2' and data[:2] == b'\xff\xd8' and not is_complete_jpeg(data):
        backend = 'pillow'
    img = mmcv.imfrombytes(data, flag=flag, channel_order='rgb', backend=backend)
    if img is None:
        raise ValueError('the decoder returned nothing')
    return img


#: with ``skip_corrupt``, this many failed decodes before the first good one stop the run: the data is unreadable
#: (a wrong folder, a broken copy), not a few bad files (MMEngine would otherwise retry 1,000 times, warning each)
CORRUPT_AT_START_LIMIT = 50


def _common_folder(paths: list) -> str:
    """The deepest folder holding every path (LMDB keys and mixed relative/absolute paths: the first one's)."""
    try:
        common = osp.commonpath(paths)
    except ValueError:
        return osp.dirname(paths[0])
    return common if len(paths) > 1 else osp.dirname(common)


def decode_into(transform, results: dict, decode: Callable[[bytes], np.ndarray]) -> Optional[dict]:
    """Read ``results['img_bytes']`` or the file at ``results['img_path']``, ``decode`` it into ``results['img']``.

    An undecodable file raises naming its path, or — with ``transform.skip_corrupt`` — is logged, counted in
    ``transform.num_skipped`` and gives None, so the dataset draws another sample; ``CORRUPT_AT_START_LIMIT``
    failures before any success raise, naming the count and the folder.
    """
    path = results.get('img_path', '<bytes>')
    try:
        data = results.pop('img_bytes', None)
        img = decode(get(path) if data is None else data)
    except FileNotFoundError:
        raise
    except Exception as e:
        if not transform.skip_corrupt:
            raise ValueError(f'cannot decode image {path}: {e}. Remove the file, or set skip_corrupt=True in '
                             f'{type(transform).__name__} to skip corrupt images during training') from e  # fmt: skip
        transform.num_skipped += 1
        if not transform.num_decoded:
            transform.failed_at_start.append(path)
            if transform.num_skipped >= CORRUPT_AT_START_LIMIT:
                folder = _common_folder(transform.failed_at_start)
                raise RuntimeError(
                    f'the first {transform.num_skipped} images decoded (under {folder}) were all corrupt or '
                    f'unreadable, e.g. {path}: {e}. Check that the dataset points to the right, complete copy.'
                ) from e
        print_log(f'skipped corrupt image {path} ({transform.num_skipped} skipped so far)', logger='current', level=30)
        return None
    transform.num_decoded += 1
    results['img'] = np.ascontiguousarray(img)
    results['img_shape'] = results['ori_shape'] = img.shape[:2]
    return results


@TRANSFORMS.register_module()
class LoadImage(BaseTransform):
    """Decode ``results['img_bytes']`` or the file at ``results['img_path']`` into ``results['img']`` (HWC uint8).

    Args:
        color_type: 'color' (3-channel RGB), 'grayscale' (H, W) or 'unchanged'.
        skip_corrupt: on an undecodable image, log it and return None so the dataset draws another sample
            (training only; MMEngine refuses None at test time). Off by default: a corrupt file raises.
        backend: mmcv's decoder, 'cv2' (default, about twice as fast) or 'pillow'. OpenCV decodes a truncated
            JPEG silently (greying the rest), so JPEGs without an end marker always go to Pillow, which refuses
            truncated files.
    """

    def __init__(self, color_type: str = 'color', skip_corrupt: bool = False, backend: str = 'cv2') -> None:
        if backend not in ('cv2', 'pillow'):
            raise ValueError(f"LoadImage: backend must be 'cv2' or 'pillow', got {backend!r}")
        self.color_type, self.skip_corrupt, self.backend = color_type, skip_corrupt, backend
        self.num_skipped = 0
        self.num_decoded = 0
        self.failed_at_start: list = []  # paths that failed before the first good decode

    def transform(self, results: dict) -> Optional[dict]:
        return decode_into(self, results, self._decode)

    def _decode(self, data: bytes) -> np.ndarray:
        return decode_bytes(data, self.color_type, self.backend)

    def __repr__(self) -> str:
        return (f'LoadImage(color_type={self.color_type!r}, skip_corrupt={self.skip_corrupt}, '
                f'backend={self.backend!r})')  # fmt: skip


@TRANSFORMS.register_module()
class LoadRandomResizedCrop(BaseTransform):
    """``LoadImage`` + ``RandomResizedCrop`` in one step that decodes a JPEG only at the scale the crop needs.

    The crop box is drawn exactly as ``RandomResizedCrop`` draws it (same algorithm and random calls), from the
    image size in the file header (read by Pillow); libjpeg then decodes at the smallest of 1, 1/2, 1/4, 1/8 scale
    at which the box still covers the output size (DCT scaling, OpenCV's ``IMREAD_REDUCED_COLOR_*``; PIL calls it
    draft mode), so a 500×375 photo cropped to 224 is often decoded at half size — the decode is most of a data
    worker's time. Other formats, and JPEGs without an end marker (Pillow refuses truncated ones), decode fully.
    Output: RGB (H, W, 3) uint8 of ``scale``; CMYK and grayscale files are converted; EXIF orientation is not
    applied (as torchvision's loader).

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
        self.num_decoded = 0
        self.failed_at_start: list = []  # paths that failed before the first good decode

    def _decode_crop(self, data: bytes) -> np.ndarray:
        import io

        from PIL import Image

        with Image.open(io.BytesIO(data)) as probe:  # reads the header only
            width, height, fmt = probe.size[0], probe.size[1], probe.format
        top, left, h, w = self.crop.crop_box(height, width)
        out_h, out_w = self.crop.scale
        # the largest libjpeg reduction (1/2, 1/4, 1/8) at which the box still covers the output
        reduce = 1
        while reduce < 8 and w / (2 * reduce) >= out_w and h / (2 * reduce) >= out_h:
            reduce *= 2
        if fmt == 'JPEG' and is_complete_jpeg(data):
            flag = {1: cv2.IMREAD_COLOR, 2: cv2.IMREAD_REDUCED_COLOR_2, 4: cv2.IMREAD_REDUCED_COLOR_4,
                    8: cv2.IMREAD_REDUCED_COLOR_8}[reduce]  # fmt: skip
            # the box is in the header's (unrotated) frame: do not let OpenCV apply EXIF orientation
            img = cv2.imdecode(np.frombuffer(data, np.uint8), flag | cv2.IMREAD_IGNORE_ORIENTATION)
            if img is None:
                raise ValueError('the decoder returned nothing')
            img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
        else:  # other formats, and JPEGs without an end marker (Pillow raises on a truncated one)
            img = decode_bytes(data, 'color_ignore_orientation', 'pillow')
        fy, fx = img.shape[0] / height, img.shape[1] / width  # the reduction libjpeg applied (rounded up)
        y0, x0 = min(int(top * fy), img.shape[0] - 1), min(int(left * fx), img.shape[1] - 1)
        y1, x1 = max(y0 + 1, round((top + h) * fy)), max(x0 + 1, round((left + w) * fx))
        return mmcv.imresize(img[y0:y1, x0:x1], (out_w, out_h), interpolation=self.crop.interpolation)

    def transform(self, results: dict) -> Optional[dict]:
        return decode_into(self, results, self._decode_crop)

    def __repr__(self) -> str:
        return f'LoadRandomResizedCrop(scale={self.crop.scale}, crop_ratio_range={self.crop.crop_ratio_range})'
