"""Checks a config's component dicts against the registered classes before anything is built or trained.

A typo in a key (``model.backbone.dept=12``) otherwise surfaces as a ``TypeError`` deep inside a builder, or — for
components that swallow ``**kwargs`` — not at all. Here every dict with a ``type`` is matched to its class and its
keys to the class's constructor arguments; each problem names the full config key and the closest valid names.
"""

import ast
import difflib
import inspect
import os.path as osp
import re
from typing import Any, Iterable, List, Optional, Set

_SKIP_KEYS = {'type', '_scope_', '_delete_'}


def _constructor_args(cls: type) -> Optional[Set[str]]:
    """Argument names ``cls(...)`` accepts, following ``**kwargs`` up the MRO; None if anything goes."""
    names: Set[str] = set()
    for klass in cls.__mro__:
        if klass is object:  # no constructor of its own takes arguments; behind a **kwargs we cannot tell
            return set() if not names else None
        init = klass.__dict__.get('__init__')
        if init is None:
            continue
        try:
            params = inspect.signature(init).parameters.values()
        except (TypeError, ValueError):  # C extensions: cannot tell
            return None
        names.update(p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))
        names.add('self')  # marks that a constructor was seen
        if not any(p.kind == p.VAR_KEYWORD for p in params):
            return names - {'self'}
    return None


def _resolve(type_name: str, registries: Iterable) -> Optional[type]:
    for registry in registries:
        try:
            obj = registry.get(type_name)
        except KeyError:
            continue
        if obj is not None:
            return obj
    return None


def _walk(node: Any, path: str, registries: list, problems: List[str]) -> None:
    if isinstance(node, dict):
        type_name = node.get('type')
        if isinstance(type_name, str):
            cls = _resolve(type_name, registries)
            if cls is None:
                names = sorted({n for r in registries for n in getattr(r, '_all_names', lambda: [])()})
                close = difflib.get_close_matches(type_name, names, n=3, cutoff=0.6)
                hint = f' (did you mean {", ".join(close)}?)' if close else ''
                problems.append(f"{path}.type: '{type_name}' is not a registered component{hint}")
            elif inspect.isclass(cls):
                accepted = _constructor_args(cls)
                if accepted is not None:
                    for key in sorted(set(node) - _SKIP_KEYS - accepted):
                        close = difflib.get_close_matches(key, sorted(accepted), n=3, cutoff=0.6)
                        hint = f' (did you mean {", ".join(close)}?)' if close else ''
                        problems.append(f"{path}.{key}: {cls.__name__} has no argument '{key}'{hint}")
        for key, value in node.items():
            if isinstance(value, (dict, list, tuple)):
                _walk(value, f'{path}.{key}', registries, problems)
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            if isinstance(value, (dict, list, tuple)):
                _walk(value, f'{path}.{i}', registries, problems)


def check_config(cfg) -> List[str]:
    """Problems in ``cfg``'s components (model, datasets and pipelines, hooks, evaluators); empty if none. Types
    resolve through the registries' ``locations`` (each imports its package on first look-up), so nothing needs to
    be registered first."""
    from lmdkit import registry as R

    model_regs = [R.MODELS, R.MASK_SCHEDULERS, R.TOKEN_PLANS, R.TEACHERS, R.TEXT_ENCODERS, R.WEIGHT_INITIALIZERS,
                  R.FEATURE_EXTRACTORS]  # fmt: skip
    problems: List[str] = []
    if cfg.get('model') is not None:
        _walk(cfg.model, 'model', model_regs, problems)
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg.get(name)
        if loader and loader.get('dataset') is not None:
            # MODELS too: training (bind_projector) hands LatentCacheDataset the model's projector config to compare
            # caches
            _walk(loader.dataset, f'{name}.dataset', [R.DATASETS, R.TRANSFORMS, *model_regs], problems)
    if cfg.get('custom_hooks'):
        _walk(list(cfg.custom_hooks), 'custom_hooks', [R.HOOKS], problems)
    for name in ('val_evaluator', 'test_evaluator'):
        if cfg.get(name):
            _walk(cfg[name], name, [R.METRICS, R.FEATURE_EXTRACTORS], problems)
    return problems


def _positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def check_values(cfg) -> List[str]:
    """Problems with settings that would otherwise fail only after training (or fail to train without an error):
    iteration, epoch and interval counts that are not positive integers, a recipe without a positive size."""
    problems: List[str] = []
    train_cfg = cfg.get('train_cfg') or {}
    for key in ('max_iters', 'max_epochs', 'val_interval', 'val_begin'):
        if key in train_cfg and train_cfg[key] is not None and not _positive_int(train_cfg[key]):
            if key == 'val_begin' and train_cfg[key] == 0:
                continue
            problems.append(f'train_cfg.{key}={train_cfg[key]!r}: must be a positive integer')
    recipe = cfg.get('recipe') or {}
    for key in ('batch_size', 'base_batch_size'):
        if key in recipe and not _positive_int(recipe[key]):
            problems.append(f'recipe.{key}={recipe[key]!r}: must be a positive integer')
    for key in ('epochs', 'base_lr'):  # fractions of an epoch are fine (a short rehearsal of a recipe)
        value = recipe.get(key)
        if key in recipe and not (isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0):
            problems.append(f'recipe.{key}={value!r}: must be a positive number')
    return problems


def _base_files(path: str) -> List[str]:
    """The ``_base_`` files ``path`` names (absolute), read without running the file."""
    with open(path) as f:
        tree = ast.parse(f.read(), filename=path)
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == '_base_' for t in node.targets):
            try:
                bases = ast.literal_eval(node.value)
            except ValueError:
                return []
            bases = [bases] if isinstance(bases, str) else list(bases)
            return [osp.abspath(osp.join(osp.dirname(path), b)) for b in bases if isinstance(b, str)]
    return []


def find_base_cycle(path: str) -> Optional[List[str]]:
    """A ``_base_`` inheritance cycle reachable from ``path`` (the files in order, the first repeated at the end),
    or None."""

    def visit(node: str, chain: List[str]) -> Optional[List[str]]:
        if node in chain:
            return chain[chain.index(node) :] + [node]
        if not osp.isfile(node):
            return None
        for base in _base_files(node):
            cycle = visit(base, chain + [node])
            if cycle:
                return cycle
        return None

    return visit(osp.abspath(path), [])


class ConfigOverrideError(ValueError):
    """A ``--cfg-options`` key that names no item (or several) of a list such as ``custom_hooks``."""


class ConfigCycleError(ValueError):
    """A config's ``_base_`` files inherit from each other in a circle."""


def load_config(path: str, cfg_options: Optional[dict] = None):
    """``Config.fromfile(path)`` (plus ``cfg_options``) with one-line errors for a missing file and a ``_base_``
    cycle (MMEngine recurses until Python's limit and prints thousands of lines)."""
    from mmengine.config import Config

    if not osp.isfile(path):
        raise FileNotFoundError(f'config not found: {path}')
    cycle = find_base_cycle(path)
    if cycle:
        raise ConfigCycleError(
            f'{path}: _base_ inheritance cycle: {" -> ".join(cycle)}; remove one of these _base_ entries'
        )
    cfg = Config.fromfile(path)
    if cfg_options:
        cfg.merge_from_dict(name_list_items(cfg, cfg_options, path))
    return cfg


#: lists of typed dicts whose items an override may name by type instead of position
NAMED_LISTS = ('custom_hooks',)


def name_list_items(cfg, cfg_options: dict, where: str = 'the config') -> dict:
    """``cfg_options`` with items of ``custom_hooks`` named by type (``custom_hooks.ReconstructionVisHook.interval``)
    turned into positions (``custom_hooks.3.interval``), so overrides and ablation grids do not depend on the order
    in which configs list their hooks. A type that is absent or listed twice is refused, naming the hooks there."""
    out = {}
    for key, value in cfg_options.items():
        head, _, rest = key.partition('.')
        name, _, tail = rest.partition('.')
        if head in NAMED_LISTS and name and not re.fullmatch(r'-?\d+', name):
            items = list(cfg.get(head) or [])
            # a type is a registered name ('lmdkit.X' matches 'X') or, in a config built in Python, the class
            types = [getattr(t, '__name__', t) for t in (item.get('type') if isinstance(item, dict) else None
                                                         for item in items)]  # fmt: skip
            found = [i for i, t in enumerate(types) if isinstance(t, str) and name in (t, t.split('.')[-1])]
            if len(found) != 1:
                what = 'no' if not found else f'{len(found)}'
                raise ConfigOverrideError(
                    f'{where}: override {key!r} names {what} {head} item of type {name!r}; the config lists '
                    f'{types} (name one of them by its type, or use its position). Hooks every run gets are set by '
                    'top-level keys instead: exact_resume=dict(...) (ExactResumeHook), train_record=dict(...) '
                    '(TrainRecordHook), nonfinite_guard=dict(...) (NonFiniteGuardHook), interrupt_checkpoint=dict(...) '
                    '(InterruptCheckpointHook).'
                )
            key = f'{head}.{found[0]}' + (f'.{tail}' if tail else '')
        out[key] = value
    return out
