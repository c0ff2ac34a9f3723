"""Image-caption datasets for text-to-image training (LMD Table 4): img2dataset's webdataset tar shards (CC3M,
CC12M), COCO-captions JSON, and a plain folder with a ``captions.jsonl``.

Every sample carries ``caption`` (a str: ``PackInputs(meta_keys=(..., 'caption'))`` passes it on) beside
``img_path`` or ``img_bytes`` for ``LoadImage``. Bad input is either counted and skipped (``on_bad='skip'``, the
default: the counts are logged once and kept in ``dataset.skipped``) or raised naming the file
(``on_bad='raise'``): a missing image, an empty or non-UTF-8 caption, a tar shard cut short.
"""

import glob
import json
import os.path as osp
import tarfile
from abc import ABC, abstractmethod
from collections import Counter, defaultdict
from typing import Dict, List, Sequence, Union

import numpy as np
from mmengine.dataset import BaseDataset
from mmengine.logging import print_log

from lmdkit.registry import DATASETS

from .image_folder import IMG_EXTENSIONS

#: how a sample with several captions (COCO: five) is served
CAPTION_MODES = ('random', 'first', 'all')
BAD_INPUT_MODES = ('skip', 'raise')
TAR_BLOCK = 512


class BadSample(ValueError):
    """A sample that cannot be used: ``reason`` is the counter key, the message names the file."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def clean_caption(raw: Union[bytes, str, None], where: str) -> str:
    """The caption as stripped text; raises ``BadSample`` for a missing, non-UTF-8 or empty one."""
    if raw is None:
        raise BadSample('missing caption', f'{where}: no caption')
    if isinstance(raw, bytes):
        try:
            raw = raw.decode('utf-8')
        except UnicodeDecodeError as e:
            raise BadSample('non-UTF-8 caption', f'{where}: caption is not UTF-8 ({e})') from e
    if not isinstance(raw, str):
        raise BadSample('missing caption', f'{where}: caption is {type(raw).__name__}, not text')
    text = raw.strip()
    if not text:
        raise BadSample('empty caption', f'{where}: empty caption')
    return text


class CaptionDataset(BaseDataset, ABC):
    """Shared by the caption formats: skip-or-raise bookkeeping and the choice among a sample's captions.

    Subclasses implement ``_load_samples`` returning records with ``captions`` (a list of str) and call
    ``self._bad(BadSample)`` for each unusable sample.
    """

    def __init__(self, caption_mode: str = 'random', on_bad: str = 'skip', pipeline: Sequence = (), **kwargs) -> None:
        if caption_mode not in CAPTION_MODES:
            raise ValueError(
                f'{type(self).__name__}: caption_mode must be one of {CAPTION_MODES}, got {caption_mode!r}'
            )
        if on_bad not in BAD_INPUT_MODES:
            raise ValueError(f'{type(self).__name__}: on_bad must be one of {BAD_INPUT_MODES}, got {on_bad!r}')
        self.caption_mode, self.on_bad = caption_mode, on_bad
        self.skipped: Counter = Counter()
        super().__init__(pipeline=list(pipeline), **kwargs)

    def _bad(self, error: BadSample) -> None:
        if self.on_bad == 'raise':
            raise ValueError(f"{type(self).__name__}: {error} (on_bad='skip' counts and skips such samples)")
        self.skipped[error.reason] += 1

    @abstractmethod
    def _load_samples(self) -> List[dict]:
        """The usable records (each with ``captions``, a list of str); bad ones go to ``self._bad``."""

    def load_data_list(self) -> List[dict]:
        self.skipped.clear()
        records = self._load_samples()
        if self.skipped:
            counts = ', '.join(f'{n} {reason}' for reason, n in sorted(self.skipped.items()))
            print_log(f'{type(self).__name__}: skipped {sum(self.skipped.values())} entries ({counts}); '
                      f'{len(records)} kept', logger='current', level=30)  # fmt: skip
        if not records:
            raise FileNotFoundError(f'{type(self).__name__}: no usable image-caption pairs under {self.data_root} '
                                    f'(skipped: {dict(self.skipped) or "none"})')  # fmt: skip
        if self.caption_mode == 'all':  # one record per (image, caption) pair: every prompt of a validation set
            records = [{**r, 'captions': [c], 'caption_index': i} for r in records for i, c in enumerate(r['captions'])]
        return records

    def get_data_info(self, idx: int) -> dict:
        info = super().get_data_info(idx)
        captions = info['captions']
        pick = np.random.randint(len(captions)) if self.caption_mode == 'random' and len(captions) > 1 else 0
        info['caption'] = captions[pick]
        info.setdefault('gt_label', -1)
        return info


@DATASETS.register_module()
class CaptionTarShards(CaptionDataset):
    """img2dataset's webdataset output: tar shards of ``KEY.jpg`` + ``KEY.txt`` (+ ``KEY.json``) per sample.

    The shards are indexed once (member offsets; captions read then), and each image is read from its shard by
    offset, so any sampler and any number of workers work. A shard cut short (an interrupted download or copy)
    keeps its complete samples; the rest are counted as ``truncated tar``.

    Args:
        data_root: the folder of shards.
        shards: glob patterns (relative to ``data_root``) of the shards to read, e.g. ``['000*.tar']``.
        caption_mode, on_bad: see ``CaptionDataset``.
    """

    def __init__(self, data_root: str, shards: Union[str, Sequence[str]] = '*.tar', **kwargs) -> None:
        self.shard_patterns = [shards] if isinstance(shards, str) else list(shards)
        super().__init__(data_root=data_root, **kwargs)

    def shard_paths(self) -> List[str]:
        paths = sorted({p for pattern in self.shard_patterns for p in glob.glob(osp.join(self.data_root, pattern))})
        if not paths:
            raise FileNotFoundError(f'CaptionTarShards: no shards matching {self.shard_patterns} in {self.data_root} '
                                    "(img2dataset --output_format webdataset writes 00000.tar, ...)")  # fmt: skip
        return paths

    def _load_samples(self) -> List[dict]:
        records = []
        for shard in self.shard_paths():
            records += self._index_shard(shard)
        return records

    def _index_shard(self, shard: str) -> List[dict]:
        size = osp.getsize(shard)
        groups: Dict[str, dict] = defaultdict(dict)
        order, end, cut = [], 0, False
        try:
            tar = tarfile.open(shard, mode='r:')
        except tarfile.TarError as e:
            raise ValueError(f'CaptionTarShards: {shard} is not a readable tar ({e}); remove or re-download it') from e
        with tar:
            while True:
                try:
                    member = tar.next()
                except tarfile.ReadError:  # the shard ends inside a member: keep what came before
                    cut = True
                    break
                if member is None:
                    break
                if not member.isfile():
                    continue
                folder, base = osp.split(member.name)
                key, _, ext = base.partition('.')  # webdataset: the key ends at the first dot of the basename
                key = osp.join(folder, key)
                if key not in groups:
                    order.append(key)
                data_end = member.offset_data + member.size
                ext = ext.lower()
                if data_end > size:  # its header survived, its data did not
                    if ext == 'txt' or ('.' + ext) in IMG_EXTENSIONS:  # a cut .json leaves the sample whole
                        groups[key]['truncated'] = True
                    continue
                end = max(end, data_end)
                if ext == 'txt':
                    groups[key]['caption'] = tar.extractfile(member).read()
                elif ('.' + ext) in IMG_EXTENSIONS:
                    groups[key]['image'] = (member.name, member.offset_data, member.size)
        with open(shard, 'rb') as f:  # past the last complete member: zero padding, or the start of a cut one
            f.seek(end)
            rest = f.read()
        # a complete tar ends with two zero blocks after the last member's padding; a cut one has a partial header,
        # or (cut on a block boundary) too few zero bytes
        padding = -end % TAR_BLOCK
        cut = cut or any(rest) or len(rest) < padding + 2 * TAR_BLOCK
        records = []
        for key in order:
            group, where = groups[key], f'{shard}:{key}'
            try:
                incomplete = 'image' not in group or 'caption' not in group
                if group.get('truncated') or (cut and key == order[-1] and incomplete):
                    raise BadSample('truncated tar', f'{where}: cut off in a truncated shard')
                if 'image' not in group:
                    raise BadSample('missing image', f'{where}: no image member')
                caption = clean_caption(group.get('caption'), where)
            except BadSample as e:
                self._bad(e)
                continue
            name, offset, length = group['image']
            records.append(dict(img_path=f'{shard}:{name}', shard=shard, offset=offset, length=length,
                                captions=[caption]))  # fmt: skip
        return records

    def get_data_info(self, idx: int) -> dict:
        info = super().get_data_info(idx)
        with open(info['shard'], 'rb') as f:
            f.seek(info['offset'])
            info['img_bytes'] = f.read(info['length'])
        return info


def _check_image(path: str, where: str) -> None:
    if not osp.isfile(path):
        raise BadSample('missing image', f'{where}: image not found: {path}')


@DATASETS.register_module()
class CocoCaptions(CaptionDataset):
    """COCO captions: ``ann_file`` (e.g. ``annotations/captions_val2017.json``) with ``images`` (id, file_name) and
    ``annotations`` (image_id, caption); images under ``data_root/img_prefix``. Five captions per image: one drawn
    per access (``caption_mode='random'``) or one record per caption (``'all'``, for evaluation prompts)."""

    def __init__(self, data_root: str, ann_file: str, img_prefix: str = '', **kwargs) -> None:
        self.img_prefix = img_prefix
        super().__init__(data_root=data_root, ann_file=ann_file, **kwargs)

    def _load_samples(self) -> List[dict]:
        if not osp.isfile(self.ann_file):
            raise FileNotFoundError(f'CocoCaptions: annotation file not found: {self.ann_file} (COCO ships '
                                    'annotations/captions_{train,val}2017.json)')  # fmt: skip
        with open(self.ann_file, encoding='utf-8') as f:
            ann = json.load(f)
        missing = [k for k in ('images', 'annotations') if k not in ann]
        if missing:
            raise ValueError(f'CocoCaptions: {self.ann_file} has no {missing}: not a COCO captions file')
        captions: Dict[int, List[str]] = defaultdict(list)
        for a in ann['annotations']:
            try:
                captions[a['image_id']].append(
                    clean_caption(a.get('caption'), f'{self.ann_file}: annotation {a.get("id")}')
                )
            except BadSample as e:
                self._bad(e)
        records = []
        for image in ann['images']:
            path = osp.join(self.data_root, self.img_prefix, image['file_name'])
            where = f'{self.ann_file}: image {image["id"]}'
            try:
                _check_image(path, where)
                if not captions.get(image['id']):
                    raise BadSample('missing caption', f'{where}: no caption')
            except BadSample as e:
                self._bad(e)
                continue
            records.append(dict(img_path=path, image_id=image['id'], captions=captions[image['id']]))
        return records


@DATASETS.register_module()
class CaptionFolder(CaptionDataset):
    """A folder of images with ``captions.jsonl``: one JSON object per line, ``{"file_name": "a/b.jpg",
    "caption": "..."}`` (Hugging Face's imagefolder metadata convention); ``caption`` may also be a list.

    Args:
        data_root: the image folder (``file_name`` is relative to it).
        ann_file: the JSON-lines file, relative to ``data_root`` (default ``captions.jsonl``).
        caption_key: the field holding the caption(s).
    """

    def __init__(self, data_root: str, ann_file: str = 'captions.jsonl', caption_key: str = 'caption', **kwargs):
        self.caption_key = caption_key
        super().__init__(data_root=data_root, ann_file=ann_file, **kwargs)

    def _load_samples(self) -> List[dict]:
        if not osp.isfile(self.ann_file):
            example = f'{{"file_name": "relative/image.jpg", "{self.caption_key}": "a caption"}}'
            raise FileNotFoundError(
                f'CaptionFolder: {self.ann_file} not found: write one JSON object per line, {example}'
            )
        records = []
        with open(self.ann_file, 'rb') as f:
            for lineno, line in enumerate(f, 1):
                if not line.strip():
                    continue
                where = f'{self.ann_file}:{lineno}'
                try:
                    entry = json.loads(line.decode('utf-8'))
                except UnicodeDecodeError as e:
                    self._bad(BadSample('non-UTF-8 caption', f'{where}: not UTF-8 ({e})'))
                    continue
                except json.JSONDecodeError as e:
                    raise ValueError(f'CaptionFolder: {where}: not a JSON object ({e})') from e
                if not isinstance(entry, dict) or 'file_name' not in entry:
                    raise ValueError(
                        f'CaptionFolder: {where}: expected {{"file_name": ..., "{self.caption_key}": ...}}'
                    )
                raw = entry.get(self.caption_key)
                try:
                    path = osp.join(self.data_root, entry['file_name'])
                    _check_image(path, where)
                    captions = [clean_caption(c, where) for c in (raw if isinstance(raw, list) else [raw])]
                except BadSample as e:
                    self._bad(e)
                    continue
                records.append(dict(img_path=path, captions=captions))
        return records


def read_prompts(path: str) -> List[str]:
    """Captions to sample from: a text file (one per line) or a JSON-lines file of ``{"caption": ...}`` objects (a
    ``CaptionFolder``'s ``captions.jsonl``; a list takes its first caption). Blank lines are skipped."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'prompts file not found: {path} (one caption per line, or captions.jsonl)')
    prompts = []
    with open(path, encoding='utf-8') as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            if path.endswith('.jsonl'):
                entry = json.loads(line)
                raw = entry.get('caption') if isinstance(entry, dict) else None
                raw = raw[0] if isinstance(raw, list) and raw else raw
                prompts.append(clean_caption(raw, f'{path}:{lineno}'))
            else:
                prompts.append(line.strip())
    if not prompts:
        raise ValueError(f'{path} holds no prompts')
    return prompts
