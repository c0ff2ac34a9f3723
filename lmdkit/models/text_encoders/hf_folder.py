"""Text encoders from Hugging Face model folders on local disk only (what is missing is named with the fix): the
architecture is built from settings, the weights are read by ``init_weights``, the tokenizer on first use."""

import json
import os.path as osp
from typing import Dict, Sequence

import torch

from .base import BaseTextEncoder

WEIGHT_FILES = (
    'model.safetensors',
    'pytorch_model.bin',
    'model.safetensors.index.json',
    'pytorch_model.bin.index.json',
)


def check_model_folder(path: str, what: str, tokenizer_files: Sequence[Sequence[str]], example: str) -> None:
    """Raise naming ``path`` and the expected files unless it holds config.json, weights (and a tokenizer).

    ``tokenizer_files``: alternatives (none: a model without its tokenizer), each a set of files that together make
    a tokenizer (e.g. ``tokenizer.json``, or ``vocab.json`` + ``merges.txt``). Nothing is ever downloaded: the
    folder is a ``save_pretrained`` output or a download made beforehand.
    """
    tokenizer = ' or '.join(' + '.join(t) for t in tokenizer_files)
    need = f'config.json, {" or ".join(WEIGHT_FILES[:2])}' + (f', and {tokenizer}' if tokenizer_files else '')
    hint = (f'{what} reads a local Hugging Face folder ({need}), e.g. {example} downloaded beforehand; nothing is '
            'fetched at run time')  # fmt: skip
    if not osp.isdir(path):
        raise FileNotFoundError(f'{what}: no folder at {path}. {hint}')
    missing = []
    if not osp.isfile(osp.join(path, 'config.json')):
        missing.append('config.json')
    if not any(osp.isfile(osp.join(path, f)) for f in WEIGHT_FILES):
        missing.append(' or '.join(WEIGHT_FILES[:2]))
    if tokenizer_files and not any(all(osp.isfile(osp.join(path, f)) for f in files) for files in tokenizer_files):
        missing.append(tokenizer)
    if missing:
        raise FileNotFoundError(f'{what}: {path} lacks {"; ".join(missing)}. {hint}')


def import_transformers(what: str):
    try:
        import transformers
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError(f'{what} needs the optional dependency transformers: pip install transformers') from e
    return transformers


def load_tokenizer(cls, path: str, what: str, tokenizer_files: Sequence[Sequence[str]], example: str):
    """``cls.from_pretrained(path)`` from local files only, after checking that they are there."""
    names = ' or '.join(' + '.join(t) for t in tokenizer_files)
    if not any(all(osp.isfile(osp.join(path, f)) for f in files) for files in tokenizer_files):
        raise FileNotFoundError(f'{what}: no tokenizer in {path} (expected {names}), e.g. from {example} downloaded '
                                'beforehand; nothing is fetched at run time')  # fmt: skip
    return cls.from_pretrained(path, local_files_only=True)


class HFTextEncoder(BaseTextEncoder):
    """A ``transformers`` text model in ``self.model`` whose weights and tokenizer live in the folder
    ``self.checkpoint`` (tokenizer: ``self.tokenizer_dir``). Subclasses name the classes and the checked settings."""

    model_class: str  # transformers class of the model
    tokenizer_class: str  # transformers class of the tokenizer
    checked: Sequence[str]  # config.json keys that must equal the built architecture's
    tokenizer_files: Sequence[Sequence[str]]
    example: str  # what to download, for error messages

    def __init__(self, checkpoint: str, tokenizer_dir: str, max_length: int, frozen: bool) -> None:
        super().__init__()
        self.checkpoint, self.tokenizer_dir = checkpoint, tokenizer_dir or checkpoint
        self.max_length, self.frozen = max_length, frozen
        self._tokenizer = None

    def _transformers(self):
        return import_transformers(type(self).__name__)

    def _file_config(self, config: dict) -> dict:
        """The model's settings in the folder's config.json (a full CLIP folder nests its text tower's)."""
        return config

    def load_weights(self) -> None:
        name = type(self).__name__
        check_model_folder(self.checkpoint, name, (), self.example)
        with open(osp.join(self.checkpoint, 'config.json')) as f:
            theirs = self._file_config(json.load(f))
        ours = self.model.config.to_dict()
        differ = {k: (theirs.get(k), ours[k]) for k in self.checked if theirs.get(k, ours[k]) != ours[k]}
        if differ:
            raise ValueError(f"{self.checkpoint}/config.json describes another model than {name}'s arch: (file, "
                             f"config) {differ}; set the text encoder's arch to match")  # fmt: skip
        # through from_pretrained: it maps the folder's key names onto this transformers version's modules
        loaded = getattr(self._transformers(), self.model_class).from_pretrained(self.checkpoint, local_files_only=True)
        self.model.load_state_dict(loaded.state_dict())

    @property
    def tokenizer(self):
        if self._tokenizer is None:
            cls = getattr(self._transformers(), self.tokenizer_class)
            self._tokenizer = load_tokenizer(cls, self.tokenizer_dir, type(self).__name__, self.tokenizer_files,
                                             self.example)  # fmt: skip
        return self._tokenizer

    def tokenize(self, captions: Sequence[str]) -> Dict[str, torch.Tensor]:
        """Padded to ``max_length``, cut beyond it."""
        out = self.tokenizer(list(captions), padding='max_length', truncation=True, max_length=self.max_length,
                             return_tensors='pt')  # fmt: skip
        return dict(input_ids=out['input_ids'].to(self.device), attention_mask=out['attention_mask'].to(self.device))

    def __getstate__(self) -> dict:  # the tokenizer is re-read where the module lands (data workers, copies)
        state = self.__dict__.copy()
        state['_tokenizer'] = None
        return state
