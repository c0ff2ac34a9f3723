"""One meaning of --amp (lmdkit.engine.precision): bf16 autocast anywhere, fp16 with a loss scaler on CUDA only."""

import pytest
import torch

from lmdkit.engine.precision import amp_dtype, apply_amp, autocast_dtype_of, resolve_amp, wrapper_entries


@pytest.mark.parametrize('value, expected', [(None, None), (False, None), (True, 'bf16'), ('bf16', 'bf16'),
                                             ('fp16', 'fp16')])  # fmt: skip
def test_amp_values(value, expected):
    assert resolve_amp(value) == expected
    assert amp_dtype(value) == {None: None, 'bf16': torch.bfloat16, 'fp16': torch.float16}[expected]


def test_an_unknown_amp_value_is_refused():
    with pytest.raises(ValueError, match="one of \\('bf16', 'fp16'\\)"):
        resolve_amp('fp8')


@pytest.mark.parametrize('device', ['cpu', 'cuda'])
def test_bf16_is_autocast_without_a_scaler_on_every_device(device):
    cfg = dict(type='AmpOptimWrapper', loss_scale='dynamic', optimizer=dict(type='SGD', lr=0.1))
    apply_amp(cfg, 'bf16', device)
    assert cfg == dict(type='AutocastOptimWrapper', dtype='bfloat16', optimizer=dict(type='SGD', lr=0.1))
    assert autocast_dtype_of(cfg) == torch.bfloat16


def test_fp16_has_a_dynamic_loss_scaler_and_needs_cuda():
    cfg = dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.1))
    apply_amp(cfg, 'fp16', 'cuda')
    assert cfg['type'] == 'AmpOptimWrapper' and cfg['loss_scale'] == 'dynamic' and cfg['dtype'] == 'float16'
    assert autocast_dtype_of(cfg) == torch.float16
    with pytest.raises(ValueError, match='--amp fp16 needs a CUDA device.*use --amp bf16'):
        apply_amp(dict(type='OptimWrapper'), 'fp16', 'cpu')


def test_no_amp_changes_nothing_and_every_gan_wrapper_is_set():
    cfg = dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.1))
    apply_amp(cfg, None, 'cpu')
    assert cfg == dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.1)) and autocast_dtype_of(cfg) is None
    gan = dict(constructor='MultiOptimWrapperConstructor', projector=dict(type='OptimWrapper'),
               discriminator=dict(type='OptimWrapper'))  # fmt: skip
    assert len(wrapper_entries(gan)) == 2
    apply_amp(gan, True, 'cpu')
    assert [e['type'] for e in wrapper_entries(gan)] == ['AutocastOptimWrapper'] * 2


def test_the_autocast_wrapper_runs_the_forward_in_bf16():
    from lmdkit.engine.optimizers import AutocastOptimWrapper

    model = torch.nn.Linear(4, 4)
    wrapper = AutocastOptimWrapper(optimizer=torch.optim.SGD(model.parameters(), lr=0.1))
    with wrapper.optim_context(model):
        out = model(torch.randn(2, 4))
    assert out.dtype == torch.bfloat16


def test_full_precision_undoes_any_wrapper_precision_and_the_cli_argument_defaults_to_bf16():
    import argparse

    from lmdkit.engine.precision import add_amp_argument, full_precision

    gan = dict(constructor='MultiOptimWrapperConstructor',
               projector=dict(type='AmpOptimWrapper', dtype='float16', loss_scale='dynamic'),
               discriminator=dict(type='AutocastOptimWrapper', dtype='bfloat16'))  # fmt: skip
    full_precision(gan)
    assert [e for e in wrapper_entries(gan)] == [dict(type='OptimWrapper')] * 2
    parser = argparse.ArgumentParser()
    add_amp_argument(parser)
    assert [parser.parse_args(a).amp for a in ([], ['--amp'], ['--amp', 'fp16'])] == [None, 'bf16', 'fp16']
