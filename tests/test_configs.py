"""Every shipped config resolves, builds its model and optimiser, and names only registered types."""

import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper

from lmdkit.apis.prerequisites import prerequisites_of
from lmdkit.engine import apply_recipe
from lmdkit.fileio import PACKAGE_SCHEME, resolve_path
from lmdkit.registry import DATASETS, HOOKS, MODELS

from .conftest import ROOT

ALL = sorted(osp.relpath(p, ROOT) for p in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'), recursive=True))
CONFIGS = [p for p in ALL if '_base_' not in p and '/grids/' not in p]
ABLATIONS = [p for p in ALL if '/grids/' in p]


def _paths_read(node, key: str = ''):
    """(config key, path) of every weights file and latent cache a config names."""
    if isinstance(node, dict):
        for k, v in node.items():
            sub = f'{key}.{k}' if key else k
            if (k in ('checkpoint', 'cache_dir') and 'type' in node) or k == 'load_from':
                if isinstance(v, str) and v:
                    yield sub, v
            else:
                yield from _paths_read(v, sub)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths_read(v, f'{key}.{i}')


def test_configs_are_found():
    assert len(CONFIGS) >= 15


def test_latent_cache_training_draws_views_per_epoch():
    """A LatentCacheDataset draws each item's view (image or flip) and posterior noise from (seed, epoch, index):
    under MMEngine's InfiniteSampler (plain indices: epoch 0 forever) every image would keep one view for good."""
    loaders = {p: Config.fromfile(osp.join(ROOT, p)).train_dataloader for p in CONFIGS}
    cached = [p for p, loader in loaders.items() if loader.dataset.type == 'LatentCacheDataset']
    assert len(cached) >= 5
    wrong = [p for p in cached if loaders[p].sampler.type != 'EpochInfiniteSampler']
    assert not wrong, f'LatentCacheDataset with another sampler than EpochInfiniteSampler: {wrong}'


@pytest.mark.parametrize('path', CONFIGS)
def test_config_builds(path):
    cfg = Config.fromfile(osp.join(ROOT, path))
    # every `prerequisites` entry names a key of this config and one way to make it; a making config exists
    declared = prerequisites_of(cfg, strict=True)
    for needed in declared:
        assert needed.source_config is None or osp.isfile(osp.join(ROOT, needed.source_config)), needed
    # and every weights file or latent cache the config reads that is not there is declared, so that
    # tools/train.py names the commands that make it instead of failing later
    # (whether or not it exists in this checkout: a clean clone has no work_dirs/)
    undeclared = [f'{key} = {value}' for key, value in _paths_read(cfg._cfg_dict.to_dict())
                  if not (value.startswith(PACKAGE_SCHEME) and osp.exists(resolve_path(value)))
                  and value not in {p.path for p in declared}]  # fmt: skip
    assert not undeclared, f'{path} reads files no `prerequisites` entry makes: {undeclared}'
    projector = cfg.model.get('projector', {})
    if projector.get('checkpoint') and not osp.exists(resolve_path(projector.checkpoint)):
        projector.checkpoint = None  # weights to fetch or train first: test the architecture
    # a recipe (images per step, lr per 256 images, epochs) resolves as on one process of ImageNet's size
    apply_recipe(cfg, world_size=1, dataset_size=lambda: 1_281_167)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    assert all(lr[0] > 0 for lr in optim_wrapper.get_lr().values())
    for hook in cfg.custom_hooks:
        assert HOOKS.get(hook['type']) is not None
    for loader in ('train_dataloader', 'val_dataloader'):
        assert DATASETS.get(cfg[loader].dataset.type) is not None
    assert cfg.train_cfg.max_iters > 0 and cfg.param_scheduler[-1].end == cfg.train_cfg.max_iters
    if 'fmnist' in path:  # small enough to run: one training step on random images
        images = torch.randint(0, 256, (2, 1, 32, 32), dtype=torch.uint8)
        if type(model).__name__ != 'LMD':
            return
        samples = dict(caption=['a light large plain bag'] * 2) if model.text_encoder is not None else None
        data = model.data_preprocessor(dict(inputs=images), True)
        losses = model(data['inputs'], samples, mode='loss')
        assert torch.isfinite(losses['loss'])


@pytest.mark.parametrize('path', ABLATIONS)
def test_ablation_specs_expand_to_buildable_variants(path):
    import importlib.util

    spec = importlib.util.spec_from_file_location('ablate', osp.join(ROOT, 'tools', 'ablate.py'))
    ablate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ablate)
    variants = ablate.expand(Config.fromfile(osp.join(ROOT, path)))
    assert len(variants) >= 2
    common = Config.fromfile(osp.join(ROOT, path)).get('cfg_options', {})
    for v in variants:
        cfg = ablate.apply_options(Config.fromfile(osp.join(ROOT, v['config'])), {**common, **v.get('cfg_options', {})})
        if cfg.model.projector.get('checkpoint') and not osp.exists(resolve_path(cfg.model.projector.checkpoint)):
            cfg.model.projector.checkpoint = None
        MODELS.build(cfg.model)


@pytest.mark.parametrize('path', CONFIGS)
def test_config_keys_match_component_arguments(path):
    """No shipped config passes a key its component does not take (tools/train.py refuses such configs)."""
    from lmdkit.datasets.latent_cache import bind_projector
    from lmdkit.utils.config_check import check_config

    cfg = Config.fromfile(osp.join(ROOT, path))
    bind_projector(cfg)  # as tools/train.py does before checking
    assert check_config(cfg) == []
