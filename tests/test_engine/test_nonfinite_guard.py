"""NonFiniteGuardHook: non-finite steps are skipped and counted, on every rank alike; too many in a row stop."""

import os.path as osp
from types import SimpleNamespace

import pytest
import torch
import torch.multiprocessing as mp
from mmengine.hooks import Hook
from mmengine.logging import MessageHub
from mmengine.optim import AmpOptimWrapper, OptimWrapper
from mmengine.runner import Runner

from lmdkit.engine.hooks import NonFiniteGuardHook
from lmdkit.engine.optimizers import GuardedOptimWrapper

from ..conftest import tiny_runner_cfg


def fake_runner(tmp_path, wrapper, model=None):
    logs = []
    hub = MessageHub.get_instance(f'guard-{id(wrapper)}')
    return SimpleNamespace(model=model, optim_wrapper=wrapper, message_hub=hub, iter=0, work_dir=str(tmp_path),
                           logger=SimpleNamespace(warning=logs.append), logs=logs)  # fmt: skip


def make_wrapper():
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 1)
    return model, GuardedOptimWrapper(optimizer=torch.optim.SGD(model.parameters(), lr=0.1))


def test_skips_non_finite_steps_and_counts_them(tmp_path):
    model, wrapper = make_wrapper()
    runner = fake_runner(tmp_path, wrapper)
    hook = NonFiniteGuardHook(max_consecutive=3)
    hook.before_train(runner)
    x = torch.randn(4, 3)
    before = model.weight.detach().clone()
    wrapper.update_params(model(x).sum() * float('nan'))
    assert torch.equal(model.weight, before) and hook.skipped_total == 1
    assert model.weight.grad is None or not model.weight.grad.abs().sum()  # zeroed after the skipped step
    wrapper.update_params(model(x).pow(2).sum())
    assert not torch.equal(model.weight, before) and hook.in_a_row == 0
    assert runner.message_hub.get_info('skipped_steps') == 1 and 'step skipped' in runner.logs[0]
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'iter_4.pth'))
    runner.iter = 6
    for _ in range(2):
        wrapper.update_params(model(x).sum() * float('inf'))
    with pytest.raises(
        FloatingPointError,
        match=r'3 optimiser steps in a row.*iteration 7.*before the first skipped step, iteration 7.*iter_4\.pth',
    ):
        wrapper.update_params(model(x).sum() * float('nan'))
    hook.before_train(runner)  # installing twice does not wrap twice
    assert hook.skipped_total == 4


def _rank(rank, world, init_file, results):
    import torch.distributed as dist

    dist.init_process_group('gloo', init_method=f'file://{init_file}', rank=rank, world_size=world)
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 1)
    wrapper = GuardedOptimWrapper(optimizer=torch.optim.SGD(model.parameters(), lr=0.1))
    hook = NonFiniteGuardHook(max_consecutive=5)
    runner = SimpleNamespace(model=None, optim_wrapper=wrapper, message_hub=MessageHub.get_instance(f'r{rank}'), iter=0,
                             work_dir='.', logger=SimpleNamespace(warning=lambda m: None))  # fmt: skip
    hook.before_train(runner)
    loss = model(torch.ones(2, 3)).sum() * (float('nan') if rank == 1 else 1.0)  # only rank 1 goes wrong
    wrapper.update_params(loss)
    results[rank] = (hook.skipped_total, model.weight.detach().clone())
    dist.destroy_process_group()


def test_the_verdict_is_agreed_across_ranks(tmp_path):
    results = mp.Manager().dict()
    mp.spawn(_rank, args=(2, str(tmp_path / 'init'), results), nprocs=2, join=True)
    assert results[0][0] == results[1][0] == 1  # rank 0 had finite gradients but skipped too
    torch.manual_seed(0)
    initial = torch.nn.Linear(3, 1).weight.detach()
    assert torch.equal(results[0][1], initial) and torch.equal(results[1][1], initial)  # replicas stay identical


def test_fp16_loss_scaler_wrappers_are_left_to_their_scaler(tmp_path):
    model, wrapper = make_wrapper()
    wrapper.__class__ = AmpOptimWrapper  # (built on CPU without its CUDA check) its GradScaler skips and rescales
    runner = fake_runner(tmp_path, wrapper)
    runner.logger.info = runner.logs.append
    step = wrapper.step
    NonFiniteGuardHook().before_train(runner)
    assert wrapper.step == step and 'loss scaler' in runner.logs[0]


def test_deepspeed_wrappers_are_left_to_deepspeed(tmp_path):
    model, wrapper = make_wrapper()
    wrapper.__class__ = type('DeepSpeedOptimWrapper', (OptimWrapper,), {})  # ZeRO keeps its gradients itself
    runner = fake_runner(tmp_path, wrapper)
    runner.logger.info = runner.logs.append
    step = wrapper.step
    NonFiniteGuardHook().before_train(runner)
    assert wrapper.step == step and 'DeepSpeed' in runner.logs[0]


class PoisonFrom(Hook):
    """Makes the patch embedding NaN from iteration ``start`` to ``until`` (inclusive), as a diverged run would."""

    def __init__(self, start: int, until: int = 10**9) -> None:
        self.start, self.until = start, until

    def before_run(self, runner) -> None:
        def poison(module, inputs, output):
            return output * float('nan') if self.start <= runner.iter + 1 <= self.until else output

        runner.model.backbone.patch_embed.register_forward_hook(poison)


@pytest.mark.parametrize('hold', [True, False])
def test_the_last_good_checkpoint_is_the_one_before_the_first_skip(tmp_path, hold):
    cfg = tiny_runner_cfg(tmp_path, max_iters=10)
    cfg.default_hooks.checkpoint.interval = 2
    cfg.experiment_name = f'guard_{hold}'
    cfg.optim_wrapper.type = 'GuardedOptimWrapper'  # what lmdkit.apis.train builds for OptimWrapper
    runner = Runner.from_cfg(cfg)
    runner.register_hook(NonFiniteGuardHook(max_consecutive=3, hold_checkpoints=hold), priority='HIGHEST')
    runner.register_hook(PoisonFrom(5))
    with pytest.raises(
        FloatingPointError, match=r'iterations 5-7.*before the first skipped step, iteration 5\): \S*iter_4\.pth'
    ):
        runner.train()
    # iteration 6 was skipped: its checkpoint is held back (or, with holding off, written but not recommended)
    assert osp.isfile(tmp_path / 'iter_4.pth') and osp.isfile(tmp_path / 'iter_6.pth') == (not hold)


def test_saving_resumes_once_steps_are_good_again(tmp_path):
    cfg = tiny_runner_cfg(tmp_path, max_iters=10)
    cfg.default_hooks.checkpoint.interval = 2
    cfg.experiment_name = 'guard_recovers'
    cfg.optim_wrapper.type = 'GuardedOptimWrapper'
    runner = Runner.from_cfg(cfg)
    runner.register_hook(NonFiniteGuardHook(max_consecutive=3), priority='HIGHEST')
    runner.register_hook(PoisonFrom(5, until=6))  # iterations 5 and 6 skipped, then training recovers
    runner.train()
    saved = sorted(int(p.stem.split('_')[1]) for p in tmp_path.glob('iter_*.pth'))
    assert saved == [4, 8, 10]  # (max_keep_ckpts 3) iteration 6 was held back
    assert open(tmp_path / 'last_checkpoint').read().endswith('iter_10.pth')


def test_an_interrupt_while_skipping_saves_nothing(tmp_path):
    from lmdkit.engine.hooks import HOLD_CHECKPOINTS, InterruptCheckpointHook

    hub = MessageHub.get_instance('interrupt-hold')
    hub.update_info(HOLD_CHECKPOINTS, True)
    warnings = []
    runner = SimpleNamespace(iter=6, message_hub=hub, work_dir=str(tmp_path), train_loop=SimpleNamespace(),
                             logger=SimpleNamespace(warning=warnings.append), save_checkpoint=None)  # fmt: skip
    hook = InterruptCheckpointHook()
    hook.requested = True
    hook.after_train_iter(runner, 0)  # save_checkpoint=None: calling it would fail
    assert runner.train_loop.stop_training and hook.interrupted_at == 7
    assert 'no checkpoint saved' in warnings[0] and not list(tmp_path.iterdir())


def test_a_wrapper_without_the_guard_seam_is_refused(tmp_path):
    model = torch.nn.Linear(3, 1)
    runner = fake_runner(tmp_path, OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1)))
    with pytest.raises(TypeError, match='optim_wrapper is a OptimWrapper.*GuardedOptimWrapper.*nonfinite_guard=None'):
        NonFiniteGuardHook().before_train(runner)


def test_guarded_wrapper_without_a_guard_steps_as_optim_wrapper():
    torch.manual_seed(0)
    ours, theirs = torch.nn.Linear(4, 2), torch.nn.Linear(4, 2)
    theirs.load_state_dict(ours.state_dict())
    clip = dict(max_norm=0.05)
    guarded = GuardedOptimWrapper(optimizer=torch.optim.SGD(ours.parameters(), lr=0.3), clip_grad=clip)
    plain = OptimWrapper(torch.optim.SGD(theirs.parameters(), lr=0.3), clip_grad=dict(clip))
    x = torch.randn(5, 4)
    for _ in range(3):
        guarded.update_params(ours(x).pow(2).sum())
        plain.update_params(theirs(x).pow(2).sum())
    for p, q in zip(ours.parameters(), theirs.parameters()):
        torch.testing.assert_close(p, q)


def test_a_refused_step_leaves_weights_and_optimiser_state_alone():
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 1)
    wrapper = GuardedOptimWrapper(optimizer=torch.optim.Adam(model.parameters(), lr=0.1))
    seen = []

    class Refuse:
        def allow_step(self, grad_norm, log_name):
            seen.append((float(grad_norm), log_name))
            return False

    wrapper.attach_guard(Refuse(), 'gen_grad_norm')
    before = model.weight.detach().clone()
    loss = model(torch.ones(2, 3)).sum()
    wrapper.update_params(loss)
    assert torch.equal(model.weight, before) and not wrapper.optimizer.state  # Adam never stepped
    norm = torch.linalg.vector_norm(torch.cat([torch.full((3,), 2.0), torch.tensor([2.0])]))  # d(sum)/dw = 2 per entry
    assert seen == [(pytest.approx(float(norm)), 'gen_grad_norm')]
