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
