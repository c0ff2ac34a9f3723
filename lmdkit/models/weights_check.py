"""Does a checkpoint fit a model? Missing, unexpected and mis-shaped keys, and the config key that likely differs.

Loading is strict everywhere in lmdkit (``init_model``, ``load_from``, ``--resume``, ``tools/test.py``): a file
that does not fit raises ``WeightsMismatchError`` listing what does not fit, instead of PyTorch's warnings and a
partly random model. Partial loading is explicit (``strict=False``) and says what was left at its initial values.
"""

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterator, List, Mapping, Optional, Tuple

import torch

from .algorithms.base import BaseAlgorithm

#: a block count is a setting named like these (a width of the same value is not a depth)
_DEPTH_WORDS = ('depth', 'layers', 'blocks')
#: MMEngine strips this prefix (DDP's) before loading: compare the same keys
_WRAPPER_PREFIX = re.compile(r'^module\.')
#: a numbered block in a parameter name, e.g. ``neck.decoder_blocks.7.attn.qkv.weight`` -> ('neck.decoder_blocks', 7)
_BLOCK = re.compile(r'^(.*?(?:blocks|layers|stages))\.(\d+)\.')


@dataclass
class WeightsFit:
    """How a state dict fits a model: keys the model has and the file lacks, keys the file has and the model
    lacks, and keys in both whose shapes differ (``(key, model shape, file shape)``)."""

    missing: List[str] = field(default_factory=list)
    unexpected: List[str] = field(default_factory=list)
    mismatched: List[Tuple[str, tuple, tuple]] = field(default_factory=list)
    #: blocks per numbered container in the model and in the file, e.g. ``{'neck.blocks': 8}``
    model_blocks: dict = field(default_factory=dict)
    file_blocks: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.unexpected or self.mismatched)

    def describe(self, limit: int = 5) -> str:
        """One line per kind of misfit: its count and the first ``limit`` keys."""

        def head(items: list) -> str:
            more = f', ... ({len(items) - limit} more)' if len(items) > limit else ''
            return ', '.join(items[:limit]) + more

        lines = []
        if self.missing:
            lines.append(f'{len(self.missing)} missing from the file: {head(self.missing)}')
        if self.unexpected:
            lines.append(f'{len(self.unexpected)} not in the model: {head(self.unexpected)}')
        if self.mismatched:
            shapes = [f'{k} (model {list(m)}, file {list(f)})' for k, m, f in self.mismatched]
            lines.append(f'{len(self.mismatched)} of another shape: {head(shapes)}')
        return '\n  '.join(lines)


def state_dict_of(checkpoint: Mapping) -> Mapping:
    """The weights of an MMEngine checkpoint (``state_dict``), or the mapping itself for a bare state dict."""
    weights = checkpoint.get('state_dict', checkpoint)
    return {_WRAPPER_PREFIX.sub('', k): v for k, v in weights.items()}


def compare_weights(model: torch.nn.Module, state_dict: Mapping) -> WeightsFit:
    """Compare ``state_dict`` (keys without a ``module.`` prefix) with ``model``'s parameters and persistent
    buffers. Keys an algorithm fills in when loading older files (``BaseAlgorithm.state_filled_on_load``, e.g.
    LMD's latent prior) are not missing."""
    filled = set(model.state_filled_on_load()) if isinstance(model, BaseAlgorithm) else set()
    own = model.state_dict()
    fit = WeightsFit(model_blocks=_block_counts(own), file_blocks=_block_counts(state_dict))
    fit.missing = [k for k in own if k not in state_dict and k not in filled]
    fit.unexpected = [k for k in state_dict if k not in own]
    for key, value in own.items():
        theirs = state_dict.get(key)
        if isinstance(theirs, torch.Tensor) and tuple(theirs.shape) != tuple(value.shape):
            fit.mismatched.append((key, tuple(value.shape), tuple(theirs.shape)))
    return fit


def _int_settings(node: Any, path: str) -> Iterator[Tuple[str, int]]:
    """``(dotted key, value)`` for every integer setting below ``node`` (a config dict)."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            yield from _int_settings(value, f'{path}.{key}')
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            yield from _int_settings(value, f'{path}.{i}')
    elif isinstance(node, int) and not isinstance(node, bool):
        yield path, node


def _block_counts(keys) -> dict:
    """Blocks per numbered container, e.g. ``{'backbone.blocks': 12}``."""
    counts: dict = {}
    for key in keys:
        m = _BLOCK.match(key)
        if m:
            counts[m.group(1)] = max(counts.get(m.group(1), 0), int(m.group(2)) + 1)
    return counts


def likely_config_keys(fit: WeightsFit, model_cfg: Optional[Mapping], limit: int = 3) -> List[str]:
    """Guesses of the config settings that differ between the model and the file, e.g.
    ``model.neck.embed_dim=64 (here 32)``: integer settings of the part that holds the misfit whose value equals the
    model's size where the file's size differs (a width, or a block count)."""
    if not model_cfg:
        return []
    counts: Counter = Counter()  # (component, model size, file size) -> mis-shaped keys showing it
    for key, model_shape, file_shape in fit.mismatched:
        counts.update(
            {(key.split('.')[0], mine, theirs) for mine, theirs in zip(model_shape, file_shape) if mine != theirs}
        )
    # a changed width also changes sizes derived from it (4x in an MLP) in fewer keys: keep the common differences
    top = max(counts.values(), default=0)
    differing = [pair for pair, n in counts.most_common() if 2 * n >= top]
    depths = []
    for name in sorted(set(fit.model_blocks) & set(fit.file_blocks)):
        model_n, file_n = fit.model_blocks[name], fit.file_blocks[name]
        if model_n != file_n:  # a depth differs
            depths.append((name.split('.')[0], model_n, file_n))
    guesses: List[str] = []
    for kinds, found in ((None, differing), (_DEPTH_WORDS, depths)):
        for component, mine, theirs in found:
            part = model_cfg.get(component) if isinstance(model_cfg.get(component), Mapping) else model_cfg
            prefix = f'model.{component}' if part is not model_cfg else 'model'
            for setting, value in _int_settings(part, prefix):
                guess = f'{setting}={theirs} (here {mine})'
                name = setting.rsplit('.', 1)[-1]
                if value == mine and guess not in guesses and (kinds is None or any(w in name for w in kinds)):
                    guesses.append(guess)
    return guesses[:limit]


class WeightsMismatchError(ValueError):
    """A checkpoint does not fit the model it is loaded into."""

    def __init__(self, path: str, fit: WeightsFit, hints: List[str], how_partial: str) -> None:
        self.path, self.fit = path, fit
        hint = f'\nLikely differing setting(s): {"; ".join(hints)}.' if hints else ''
        super().__init__(
            f'{path} does not fit the model built from this config:\n  {fit.describe()}{hint}\nUse the config the '
            f'checkpoint was trained with; {how_partial}.'
        )


def check_weights(
    model: torch.nn.Module,
    checkpoint: Mapping,
    path: str,
    strict: bool = True,
    model_cfg: Optional[Mapping] = None,
    how_partial: str = 'or load what fits with strict=False',
) -> WeightsFit:
    """Raise ``WeightsMismatchError`` if ``checkpoint`` does not fit ``model`` and ``strict``; otherwise return the
    fit (the caller reports what was left at initial values)."""
    fit = compare_weights(model, state_dict_of(checkpoint))
    if strict and not fit.ok:
        raise WeightsMismatchError(path, fit, likely_config_keys(fit, model_cfg), how_partial)
    return fit


def drop_mismatched(checkpoint: dict, fit: WeightsFit) -> None:
    """Remove the entries of another shape from ``checkpoint``'s weights, so a partial load keeps the model's
    initial values for them (PyTorch would otherwise report an error per key)."""
    weights = checkpoint.get('state_dict', checkpoint)
    bad = {k for k, _, _ in fit.mismatched}
    for key in [k for k in weights if _WRAPPER_PREFIX.sub('', k) in bad]:
        del weights[key]
