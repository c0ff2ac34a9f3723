"""Strict weights: a checkpoint that does not fit the model is refused (naming keys and the likely config setting)
by init_model, load_from, --resume and tools/test.py's runner; partial loading is explicit and reports itself."""

import os.path as osp
import uuid

import pytest
import torch
from mmengine.runner import Runner

from lmdkit.apis import init_model
from lmdkit.engine.hooks import CheckpointLoadHook, ResumeError, configure_checkpoint_load
from lmdkit.models.weights_check import WeightsMismatchError, compare_weights, likely_config_keys
from lmdkit.registry import MODELS

from ..conftest import tiny_lmd_model, tiny_runner_cfg


def build(**neck):
    torch.manual_seed(0)
    model = tiny_lmd_model()
    model['neck'] = dict(model['neck'], **neck)
    return MODELS.build(model), model


def test_compare_weights_finds_every_kind_of_misfit():
    model, _ = build()
    state = dict(model.state_dict())
    del state['neck.decoder_norm.weight']
    state['neck.extra.weight'] = torch.zeros(3)
    state['neck.mask_token'] = torch.zeros(1, 1, 99)
    fit = compare_weights(model, state)
    assert fit.missing == ['neck.decoder_norm.weight'] and fit.unexpected == ['neck.extra.weight']
    assert fit.mismatched == [('neck.mask_token', (1, 1, 16), (1, 1, 99))]
    assert not fit.ok and compare_weights(model, model.state_dict()).ok
    older = {k: v for k, v in model.state_dict().items() if not k.startswith('prior_')}  # before the latent prior
    assert compare_weights(model, older).ok  # LMD's load pre-hook fills the prior in, as loading does
    text = fit.describe()
    assert '1 missing from the file: neck.decoder_norm.weight' in text and 'model [1, 1, 16], file [1, 1, 99]' in text


def test_likely_config_keys_name_the_differing_width_and_depth():
    small, small_cfg = build(embed_dim=8)
    big, _ = build(embed_dim=16)
    fit = compare_weights(small, big.state_dict())
    assert fit.mismatched and likely_config_keys(fit, small_cfg)[0] == 'model.neck.embed_dim=16 (here 8)'
    deep, _ = build(embed_dim=8, depth=3)
    fit = compare_weights(small, deep.state_dict())
    assert 'model.neck.depth=3 (here 1)' in likely_config_keys(fit, small_cfg)


def test_init_model_is_strict_and_partial_on_request(tmp_path):
    trained, _ = build()
    path = str(tmp_path / 'w.pth')
    torch.save({'state_dict': trained.state_dict()}, path)
    from mmengine.config import Config

    cfg = Config(dict(model=tiny_lmd_model(neck=dict(tiny_lmd_model()['neck'], embed_dim=8))))
    with pytest.raises(
        WeightsMismatchError, match=r'(?s)w\.pth does not fit.*\n.*of another shape.*model\.neck\.embed_dim=16'
    ):
        init_model(cfg, path)
    model = init_model(cfg, path, strict=False)
    # the encoder fits and is loaded; the decoder keeps its own (initial) shapes
    assert torch.equal(model.backbone.patch_embed.proj.weight, trained.backbone.patch_embed.proj.weight)
    assert model.neck.mask_token.shape == (1, 1, 8)
    # a checkpoint of an EMA run: the raw weights (kept in ema_state_dict) load partially as well
    raw = {f'module.{k}': v + 1 for k, v in trained.state_dict().items()}
    torch.save({'state_dict': trained.state_dict(), 'ema_state_dict': raw}, path)
    model = init_model(cfg, path, strict=False)
    assert torch.equal(model.backbone.patch_embed.proj.weight, trained.backbone.patch_embed.proj.weight + 1)


def run(cfg, hook=None, test=False):
    cfg.experiment_name = f'test_{uuid.uuid4().hex[:8]}'
    runner = Runner.from_cfg(cfg)
    if hook:
        runner.register_hook(hook)
    return runner.test() if test else runner.train()


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    """A tiny run's last checkpoint (iteration 4)."""
    work = tmp_path_factory.mktemp('trained')
    run(tiny_runner_cfg(work, max_iters=4))
    return str(work / 'iter_4.pth')


def test_runner_loads_refuse_a_checkpoint_of_another_shape(tmp_path, trained):
    def cfg_with_narrow_decoder(**options):
        cfg = tiny_runner_cfg(tmp_path / uuid.uuid4().hex[:6], max_iters=6, **options)
        cfg.model.neck.embed_dim = 8
        return cfg

    cfg = cfg_with_narrow_decoder(load_from=trained)  # tools/test.py and load_from
    configure_checkpoint_load(cfg)
    with pytest.raises(
        WeightsMismatchError, match=r'(?s)iter_4\.pth does not fit.*model\.neck\.embed_dim=16 \(here 8\)'
    ):
        run(cfg, test=True)
    cfg = cfg_with_narrow_decoder(load_from=trained, resume=True)  # --resume: before the optimiser state
    configure_checkpoint_load(cfg)
    with pytest.raises(WeightsMismatchError, match=r'(?s)does not fit.*a resumed run cannot load partially'):
        run(cfg)
    # partial on request: loads what fits, testing runs
    cfg = cfg_with_narrow_decoder()
    cfg.load_from = dict(path=trained, strict=False)
    configure_checkpoint_load(cfg)
    assert cfg.load_from == trained and cfg.custom_hooks[-1]['strict'] is False
    metrics = run(cfg, test=True)
    assert 'recon/mse' in metrics


def test_resume_needs_a_training_state(tmp_path, trained):
    weights_only = str(tmp_path / 'weights.pth')
    torch.save({'state_dict': torch.load(trained, weights_only=True)['state_dict']}, weights_only)
    cfg = tiny_runner_cfg(tmp_path / 'r', max_iters=6, load_from=weights_only, resume=True)
    configure_checkpoint_load(cfg)
    with pytest.raises(ResumeError, match=r'weights\.pth: cannot resume from it.*load_from='):
        run(cfg)
    with pytest.raises(ValueError, match='strict=False applies to load_from only'):
        CheckpointLoadHook(weights_only, strict=False, resume=True)


def test_resume_logs_the_file_it_continues(tmp_path, trained):
    cfg = tiny_runner_cfg(tmp_path / 'r', max_iters=6, load_from=trained, resume=True)
    cfg.log_level = 'INFO'
    configure_checkpoint_load(cfg)
    run(cfg)
    assert osp.isfile(tmp_path / 'r' / 'iter_6.pth')
    logs = ''.join(open(p).read() for p in (tmp_path / 'r').glob('*/*.log'))
    assert f'resuming from {trained} (iteration 4' in logs


def test_a_config_file_may_ask_for_a_partial_load(tmp_path):
    from mmengine.config import Config

    from ..conftest import QUICK_START

    child = tmp_path / 'partial.py'
    child.write_text(f"_base_ = [{QUICK_START!r}]\nload_from = dict(path='w.pth', strict=False)\n")
    cfg = Config.fromfile(str(child))  # the runtime base leaves load_from unset, so a dict may inherit from it
    configure_checkpoint_load(cfg)
    assert cfg.load_from == 'w.pth' and cfg.custom_hooks[-1] == dict(
        type='CheckpointLoadHook', path='w.pth', strict=False, resume=False
    )
    cfg.load_from = dict(path='w.pth', strcit=False)
    with pytest.raises(ValueError, match=r'load_from: expected a path or dict\(path=..., strict=...\)'):
        configure_checkpoint_load(cfg)
