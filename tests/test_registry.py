"""Unknown types fail with the registry's name and the closest registered names."""

import pytest
from mmengine.registry import MODELS as ROOT_MODELS

from lmdkit.registry import MASK_SCHEDULERS, MODELS


def test_unknown_type_suggests_close_names():
    with pytest.raises(KeyError) as err:
        MODELS.build(dict(type='MAEVit'))
    msg = str(err.value)
    assert 'lmdkit::model' in msg and 'MAEViT' in msg


def test_unknown_type_through_mmengine_root_registry():
    # the Runner builds through MMEngine's root registries with default_scope='lmdkit'
    with pytest.raises(KeyError) as err:
        ROOT_MODELS.build(dict(type='LMDD'))
    assert 'lmdkit::model' in str(err.value) and 'LMD' in str(err.value)


def test_unknown_mask_scheduler():
    with pytest.raises(KeyError, match='CosineMaskScheduler'):
        MASK_SCHEDULERS.build(dict(type='CosineMaskSchedule'))


def test_known_types_from_parent_registries_still_build():
    loss = MODELS.build(dict(type='MaskedMSELoss'))
    assert type(loss).__name__ == 'MaskedMSELoss'
    assert MODELS.get('ImgDataPreprocessor') is not None  # MMEngine's, found through the parent


def test_config_check_names_the_bad_keys():
    from mmengine.config import Config

    from lmdkit.utils.config_check import check_config

    from .conftest import QUICK_START

    cfg = Config.fromfile(QUICK_START)
    assert check_config(cfg) == []
    cfg.model.backbone.dept = 12
    cfg.model.mask_scheduler.type = 'CosineMaskSchedular'
    cfg.custom_hooks[0].intervall = 5  # ReconstructionVisHook
    problems = check_config(cfg)
    assert any(p.startswith("model.backbone.dept: MAEViT has no argument 'dept'") and 'depth' in p for p in problems)
    assert any(p.startswith('model.mask_scheduler.type:') and 'CosineMaskScheduler' in p for p in problems)
    hook_problem = "custom_hooks.0.intervall: ReconstructionVisHook has no argument 'intervall'"
    assert any(p.startswith(hook_problem) for p in problems)
    assert len(problems) == 3
