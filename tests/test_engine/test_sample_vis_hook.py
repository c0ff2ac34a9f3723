"""SampleVisHook draws with the EMA model of an EMAHook, or with the raw model when told to."""

from types import SimpleNamespace

import pytest
import torch
from mmengine.hooks import EMAHook

from lmdkit.engine.hooks import SampleVisHook
from lmdkit.registry import MODELS

from ..conftest import tiny_diffusion_model


def test_ema_or_raw_model_and_a_grid(tmp_path):
    raw = MODELS.build(tiny_diffusion_model())
    ema_copy = MODELS.build(tiny_diffusion_model())
    ema = EMAHook()
    ema.ema_model = SimpleNamespace(module=ema_copy)
    runner = SimpleNamespace(hooks=[ema], model=raw, work_dir=str(tmp_path), experiment_name='t')
    assert SampleVisHook()._model(runner) is ema_copy
    assert SampleVisHook(use_ema=False)._model(runner) is raw
    hook = SampleVisHook(num_per_class=1, classes=[0, 1], use_ema=False, steps=2)
    path = hook.save_grid(runner, 'iter_1')
    assert path.endswith('samples_iter_1.png') and (tmp_path / 'vis' / 'samples_iter_1.png').stat().st_size > 1000
    assert isinstance(raw.denoiser.pos_embed, torch.nn.Parameter)


def test_a_row_per_prompt_for_a_text_conditioned_model(tmp_path):
    text = dict(type='ByteTextEncoder', dim=16, depth=1, num_heads=2, max_length=16)
    cfg = tiny_diffusion_model()
    cfg['denoiser'] = dict(cfg['denoiser'], num_classes=0, text_dim=16)
    model = MODELS.build(dict(cfg, text_encoder=text))
    runner = SimpleNamespace(hooks=[], model=model, work_dir=str(tmp_path), experiment_name='t')
    calls = []
    sample = model.sample
    model.sample = lambda num, **kw: calls.append(kw['captions']) or sample(num, **kw)
    SampleVisHook(num_per_class=2, prompts=['a bag', 'a shoe'], steps=2).save_grid(runner, 'iter_1')
    assert calls == [['a bag', 'a bag', 'a shoe', 'a shoe']]
    assert (tmp_path / 'vis' / 'samples_iter_1.png').stat().st_size > 1000
    with pytest.raises(ValueError, match='non-empty list of captions'):
        SampleVisHook(prompts='a bag')
