"""MMEngine strategies (FlexibleRunner) and torch.compile through tools/train.py."""

import os
import os.path as osp
import sys
import types

import pytest
import torch
from mmengine.config import Config

from lmdkit.apis.train import ConfigError, prepare_strategy

from ..conftest import QUICK_START
from .test_cli import SMALL, sh

TEN = [*SMALL, 'train_cfg.max_iters=10', 'train_cfg.val_interval=10', 'default_hooks.checkpoint.interval=10']


def weights(path: str) -> dict:
    return torch.load(path, map_location='cpu', weights_only=True)['state_dict']


@pytest.mark.parametrize('kind', ['FSDPStrategy', 'DeepSpeedStrategy', 'ColossalAIStrategy'])
def test_cuda_only_strategies_stop_before_building_on_cpu(kind, monkeypatch):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    cfg = Config(dict(strategy=dict(type=kind), optim_wrapper=dict(type='OptimWrapper')))
    with pytest.raises(ConfigError, match=f'strategy {kind} needs CUDA GPUs'):
        prepare_strategy(cfg)


def test_deepspeed_takes_the_optimiser_and_drops_wrapper_options(monkeypatch, capsys):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    monkeypatch.setitem(sys.modules, 'deepspeed', types.ModuleType('deepspeed'))
    optimizer = dict(type='AdamW', lr=1e-3)
    cfg = Config(dict(
        strategy=dict(type='DeepSpeedStrategy', bf16=dict(enabled=True)),
        optim_wrapper=dict(type='AmpOptimWrapper', optimizer=optimizer, clip_grad=dict(max_norm=1.0),
                           loss_scale='dynamic', paramwise_cfg=dict(norm_decay_mult=0.0)),
        model_wrapper_cfg=dict(type='MMDistributedDataParallel'),
    ))  # fmt: skip
    prepare_strategy(cfg)
    assert cfg.optim_wrapper == dict(type='DeepSpeedOptimWrapper', optimizer=optimizer,
                                     paramwise_cfg=dict(norm_decay_mult=0.0))  # fmt: skip
    assert 'model_wrapper_cfg' not in cfg
    assert "['clip_grad', 'loss_scale'] ignored" in capsys.readouterr().out


def test_ddp_strategy_gets_the_runners_ddp_wrapper():
    """DDPStrategy wraps the model as the plain Runner would (the config's model_wrapper_cfg: the CPU-safe DDP and
    its options); the strategy's own model_wrapper keys win."""
    cfg = Config.fromfile(QUICK_START)
    cfg.model_wrapper_cfg.find_unused_parameters = True
    cfg.strategy = dict(type='DDPStrategy', model_wrapper=dict(broadcast_buffers=True))
    prepare_strategy(cfg)
    assert cfg.strategy.model_wrapper == dict(type='lmdkit.CPUSafeDistributedDataParallel', broadcast_buffers=True,
                                              find_unused_parameters=True)  # fmt: skip
    assert 'model_wrapper_cfg' not in cfg


@pytest.mark.slow
def test_ddp_strategy_trains_on_two_cpu_ranks(tmp_path):
    """Two CPU ranks (gloo) through FlexibleRunner + DDPStrategy: the run completes distributed, the loss falls, and
    the checkpoint (FlexibleRunner keeps the wrapper's 'module.' prefix) loads strictly through init_model.
    FlexibleRunner builds the model at a different point of the seeded RNG stream than Runner, so the two runs do
    not start from the same weights and are not compared value for value."""
    import json

    work = str(tmp_path / 'flexible')
    sh('bash', 'tools/dist_train.sh', QUICK_START, '2', '--work-dir', work, '--cfg-options', *SMALL,
       'train_cfg.max_iters=30', 'train_cfg.val_interval=30', 'default_hooks.checkpoint.interval=30',
       'strategy.type=DDPStrategy', env=dict(PORT='29533'))  # fmt: skip
    summary = json.load(open(osp.join(work, 'summary.json')))
    assert summary['environment']['world_size'] == 2 and summary['iters'] == 30
    losses = [json.loads(line)['loss'] for line in open(osp.join(work, 'train_record.jsonl'))]
    assert sum(losses[-5:]) < 0.8 * sum(losses[:5])
    state = weights(osp.join(work, 'iter_30.pth'))
    assert all(k.startswith('module.') for k in state)
    from lmdkit.apis import init_model

    model = init_model(QUICK_START, osp.join(work, 'iter_30.pth'))  # strict
    torch.testing.assert_close(model.state_dict()['backbone.cls_token'], state['module.backbone.cls_token'])


@pytest.mark.slow
def test_compile_switch_compiles_and_trains(tmp_path):
    """`compile` in a config compiles the train step (MMEngine's Runner): Dynamo captures graphs (its graph_code
    log) only then, and the compiled run trains like the plain one (the same data; masks are drawn inside the
    compiled step, so the two runs are compared by their loss, not value for value)."""
    import json

    final = {}
    for name, extra in (('plain', []), ('compiled', ['compile._delete_=True', 'compile.backend=eager'])):
        work = str(tmp_path / name)
        out = sh(sys.executable, 'tools/train.py', QUICK_START, '--work-dir', work, '--cfg-options', *SMALL,
                 'train_cfg.max_iters=30', 'train_cfg.val_interval=30', *extra,
                 env=dict(TORCH_LOGS='graph_code'))  # fmt: skip
        captured = 'def forward' in out.stderr + out.stdout
        assert captured == bool(extra), (out.stdout[-1500:], out.stderr[-1500:])
        losses = [json.loads(line)['loss'] for line in open(osp.join(work, 'train_record.jsonl'))]
        assert sum(losses[-5:]) < 0.8 * sum(losses[:5])
        final[name] = sum(losses[-5:]) / 5
    assert abs(final['compiled'] - final['plain']) < 0.15 * final['plain']


@pytest.mark.slow
def test_fsdp2_strategy_equals_ddp_and_resumes_exactly_on_two_cpu_ranks(tmp_path):
    """FSDP2Strategy (parameters, gradients and optimiser state sharded over 2 gloo ranks) against DDPStrategy from
    the same start: identical weights after 20 iterations; a run resumed from its iteration-10 checkpoint (full
    model and optimiser state, rank 0's file, every rank's RNG state) ends identical too; the picture hooks run the
    sharded model on every rank."""
    import json
    import shutil

    # the per-parameter AdamW: the fused kernel rounds a tensor's vector tail differently from its body, so a shard
    # and the whole tensor may differ by an ulp where the split falls, and this test asks for identical weights
    common = [*SMALL, 'train_cfg.max_iters=20', 'train_cfg.val_interval=20', 'default_hooks.checkpoint.interval=10',
              'optim_wrapper.optimizer.fused=False']  # fmt: skip
    runs = {}
    for name, strategy, port in (('ddp', 'DDPStrategy', '29541'), ('fsdp2', 'FSDP2Strategy', '29542')):
        runs[name] = str(tmp_path / name)
        sh('bash', 'tools/dist_train.sh', QUICK_START, '2', '--work-dir', runs[name], '--cfg-options', *common,
           f'strategy.type={strategy}', env=dict(PORT=port))  # fmt: skip
    resumed = str(tmp_path / 'resumed')
    os.makedirs(resumed)
    shutil.copy(osp.join(runs['fsdp2'], 'iter_10.pth'), resumed)
    sh('bash', 'tools/dist_train.sh', QUICK_START, '2', '--work-dir', resumed, '--resume',
       osp.join(resumed, 'iter_10.pth'), '--cfg-options', *common, 'strategy.type=FSDP2Strategy',
       env=dict(PORT='29543'))  # fmt: skip
    sharded = weights(osp.join(runs['fsdp2'], 'iter_20.pth'))
    replicated = {k.removeprefix('module.'): v for k, v in weights(osp.join(runs['ddp'], 'iter_20.pth')).items()}
    assert sharded.keys() == replicated.keys()  # full state dict, parameter names without a wrapper prefix
    for key, value in replicated.items():
        assert torch.equal(sharded[key], value), key
    again = weights(osp.join(resumed, 'iter_20.pth'))
    assert all(torch.equal(again[k], v) for k, v in sharded.items())
    optimizer = torch.load(osp.join(runs['fsdp2'], 'iter_20.pth'), weights_only=True)['optimizer']
    assert 'backbone.cls_token' in optimizer['state']  # keyed by name: loads into any number of ranks
    summary = json.load(open(osp.join(runs['fsdp2'], 'summary.json')))
    assert summary['environment']['world_size'] == 2 and osp.isfile(osp.join(runs['fsdp2'], 'reconstruction.png'))
    from lmdkit.apis import init_model

    model = init_model(QUICK_START, osp.join(runs['fsdp2'], 'iter_20.pth'))  # strict, no FSDP needed
    torch.testing.assert_close(model.state_dict()['backbone.cls_token'], sharded['backbone.cls_token'])
