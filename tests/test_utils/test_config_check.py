"""Config problems that would otherwise surface late (or as a 2,500-line traceback) are reported at start."""

import pytest
from mmengine.config import Config

from lmdkit.registry import MODELS
from lmdkit.utils.config_check import ConfigCycleError, check_values, find_base_cycle, load_config

from ..conftest import QUICK_START, tiny_lmd_model


def test_counts_that_cannot_train_are_reported():
    cfg = Config.fromfile(QUICK_START)
    assert check_values(cfg) == []
    cfg.train_cfg.max_iters = -1
    cfg.train_cfg.val_interval = 0
    cfg.recipe = dict(batch_size=25.6, base_lr=0, epochs=-2)
    assert check_values(cfg) == [
        'train_cfg.max_iters=-1: must be a positive integer',
        'train_cfg.val_interval=0: must be a positive integer',
        'recipe.batch_size=25.6: must be a positive integer',
        'recipe.epochs=-2: must be a positive number',
        'recipe.base_lr=0: must be a positive number',
    ]
    cfg.train_cfg.max_iters, cfg.train_cfg.val_interval = 10, 5
    cfg.recipe = dict(batch_size=4, base_lr=1.5e-4, epochs=0.6)  # a fraction of an epoch is a valid rehearsal
    assert check_values(cfg) == []


def test_a_base_cycle_is_one_line_naming_the_files(tmp_path):
    (tmp_path / 'a.py').write_text("_base_ = ['./b.py']\nx = 1\n")
    (tmp_path / 'b.py').write_text("_base_ = './c.py'\n")
    (tmp_path / 'c.py').write_text("_base_ = ['./a.py']\n")
    a, b, c = (str(tmp_path / n) for n in ('a.py', 'b.py', 'c.py'))
    assert find_base_cycle(a) == [a, b, c, a]
    with pytest.raises(
        ConfigCycleError, match=r'_base_ inheritance cycle: \S*a\.py -> \S*b\.py -> \S*c\.py -> \S*a\.py'
    ):
        load_config(a)
    assert find_base_cycle(QUICK_START) is None
    assert load_config(QUICK_START, {'train_cfg.max_iters': 3}).train_cfg.max_iters == 3
    with pytest.raises(FileNotFoundError, match='config not found: nowhere.py'):
        load_config('nowhere.py')


def test_the_validation_mask_ratio_is_checked_when_the_model_is_built():
    with pytest.raises(ValueError, match=r'model\.val_mask_ratio must be in \(0, 1\).*got 1\.5'):
        MODELS.build(tiny_lmd_model(val_mask_ratio=1.5))


def test_overrides_may_name_hooks_by_type_instead_of_position():
    from lmdkit.utils.config_check import ConfigOverrideError

    plain = load_config(QUICK_START)
    types = [h['type'] for h in plain.custom_hooks]
    at = types.index('ReconstructionVisHook')
    named = load_config(QUICK_START, {'custom_hooks.ReconstructionVisHook.interval': 0})
    by_position = load_config(QUICK_START, {f'custom_hooks.{at}.interval': 0})
    assert named.custom_hooks[at].interval == 0 and named.to_dict() == by_position.to_dict()
    with pytest.raises(
        ConfigOverrideError, match=r"names no custom_hooks item of type 'SampleVisHook'.*TrainRecordHook"
    ):
        load_config(QUICK_START, {'custom_hooks.SampleVisHook.interval': 0})


def test_named_hooks_accept_negative_positions_classes_and_say_where_run_hooks_are_set():
    from mmengine.config import Config as PyConfig

    from lmdkit.engine.hooks import TrainRecordHook
    from lmdkit.utils.config_check import ConfigOverrideError, name_list_items

    cfg = PyConfig(dict(custom_hooks=[dict(type=TrainRecordHook), dict(type='lmdkit.ReconstructionVisHook')]))
    assert name_list_items(cfg, {'custom_hooks.-1.interval': 0}) == {'custom_hooks.-1.interval': 0}
    assert name_list_items(cfg, {'custom_hooks.TrainRecordHook.skip': 5}) == {'custom_hooks.0.skip': 5}
    assert name_list_items(cfg, {'custom_hooks.ReconstructionVisHook': {}}) == {'custom_hooks.1': {}}
    with pytest.raises(ConfigOverrideError, match='nonfinite_guard=dict'):
        name_list_items(cfg, {'custom_hooks.NonFiniteGuardHook.max_consecutive': 3})
