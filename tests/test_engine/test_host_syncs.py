"""One host sync per training step: the sync counter, the step readout, the guard's norm check and clipping,
SyncFreeEMA, and whole training iterations of LMD, DiT, MDTv2 and a classifier audited end to end."""

import importlib.util
import os.path as osp

import pytest
import torch
from mmengine.hooks import RuntimeInfoHook
from mmengine.logging import MessageHub
from mmengine.model import ExponentialMovingAverage
from mmengine.runner import get_priority

from lmdkit.engine import SyncFreeEMA
from lmdkit.engine.hooks import NonFiniteGuardHook
from lmdkit.engine.optimizers import GuardedOptimWrapper
from lmdkit.utils.host_syncs import HostSyncCounter
from lmdkit.utils.step_readout import StepReadout

from ..conftest import QUICK_START, ROOT, tiny_mdt_denoiser
from .test_nonfinite_guard import fake_runner


def test_counter_sees_value_reads_and_data_dependent_shapes_only():
    t = torch.randn(5)
    with HostSyncCounter() as syncs:
        (t * 2 + 1).sum()  # device-side work: nothing
        t.max().item()
        float(t.sum())
        bool(t[0] > 0)
        t.tolist()
        t[t > 0]  # boolean mask: output length depends on the values
        torch.nonzero(t)
    assert [what for what, _ in syncs.events] == [
        '_local_scalar_dense',
        '_local_scalar_dense',
        '_local_scalar_dense',
        'tolist',
        'index',
        'nonzero',
    ]
    assert all('test_host_syncs.py' in site for _, site in syncs.events)  # the caller, not PyTorch internals
    assert torch.Tensor.tolist is not None and 'counted' not in torch.Tensor.tolist.__name__  # restored


def test_optimiser_step_counters_are_not_counted():
    model = torch.nn.Linear(3, 2)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    model(torch.randn(4, 3)).sum().backward()
    with HostSyncCounter() as syncs:
        opt.step()  # reads its CPU `step` tensors with .item(): host memory even in a CUDA run
    assert syncs.count == 0


def test_readout_reads_logged_values_with_the_check_in_one_copy():
    a, b = torch.tensor(1.5), torch.tensor([2.25]).mean()
    outputs = dict(loss=a, loss_x=b, note='text')
    step_readout = StepReadout()
    with HostSyncCounter() as syncs:
        step_readout.expect(outputs)
        (flag,) = step_readout.read(torch.tensor(1.0))
        step_readout.resolve(outputs)
    assert syncs.count == 1 and flag == 1.0
    assert outputs == dict(loss=1.5, loss_x=2.25, note='text')
    extra = dict(loss=torch.tensor(3.0), acc=torch.tensor(0.5))  # nothing read them during the step
    with HostSyncCounter() as syncs:
        step_readout.resolve(extra)
    assert syncs.count == 1 and extra == dict(loss=3.0, acc=0.5)


def test_guard_clips_with_its_own_norm_reads_once_and_logs_the_norm(tmp_path):
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 3)
    reference = torch.nn.Linear(4, 3)
    reference.load_state_dict(model.state_dict())
    wrapper = GuardedOptimWrapper(optimizer=torch.optim.SGD(model.parameters(), lr=0.5), clip_grad=dict(max_norm=0.1))
    runner = fake_runner(tmp_path, wrapper)
    NonFiniteGuardHook().before_train(runner)
    x = torch.randn(8, 4)
    loss = model(x).pow(2).sum()
    with HostSyncCounter() as syncs:
        wrapper.update_params(loss)
    assert syncs.count == 1  # MMEngine's own clipping would have read the norm a second time
    ref_loss = reference(x).pow(2).sum()
    ref_loss.backward()
    grads = [p.grad for p in reference.parameters()]
    norm = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads]))
    with torch.no_grad():
        for p in reference.parameters():
            p -= 0.5 * p.grad * min(1.0, 0.1 / (float(norm) + 1e-6))
    for p, q in zip(model.parameters(), reference.parameters()):
        torch.testing.assert_close(p, q)
    assert runner.message_hub.get_scalar('train/grad_norm').current() == pytest.approx(float(norm), rel=1e-6)
    assert wrapper.clip_grad_kwargs == dict(max_norm=0.1)  # restored after the step


@pytest.mark.parametrize('update_buffers', [False, True])
def test_sync_free_ema_matches_mmengine_and_resumes(update_buffers):
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4))
    ours = SyncFreeEMA(net, momentum=0.1, interval=2, update_buffers=update_buffers)
    theirs = ExponentialMovingAverage(net, momentum=0.1, interval=2, update_buffers=update_buffers)

    def train_a_bit():
        with torch.no_grad():
            for p in net.parameters():
                p.add_(torch.randn_like(p))
        net(torch.randn(6, 3))  # moves the BatchNorm statistics

    for _ in range(5):
        train_a_bit()
        with HostSyncCounter() as syncs:
            ours.update_parameters(net)
        theirs.update_parameters(net)
        assert syncs.count == 0
    state = ours.state_dict()
    assert state.keys() == theirs.state_dict().keys()
    for key, value in theirs.state_dict().items():
        torch.testing.assert_close(state[key], value)
    resumed = SyncFreeEMA(net, momentum=0.1, interval=2, update_buffers=update_buffers)
    resumed.load_state_dict(theirs.state_dict())  # a checkpoint written by MMEngine's EMA continues the same way
    for _ in range(3):
        train_a_bit()
        resumed.update_parameters(net)
        theirs.update_parameters(net)
    for key, value in theirs.state_dict().items():
        torch.testing.assert_close(resumed.state_dict()[key], value)


def load_audit_tool():
    path = osp.join(ROOT, 'tools', 'analysis', 'host_syncs.py')
    spec = importlib.util.spec_from_file_location('host_syncs_tool', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


TINY_DIT = {
    'model.denoiser.hidden_size': 32,
    'model.denoiser.depth': 2,
    'model.denoiser.num_heads': 2,
    'train_dataloader.batch_size': 8,
}
TINY_MDT = {
    **TINY_DIT,
    'model.denoiser': tiny_mdt_denoiser(input_size=32, patch_size=4),  # MDTv2 on the 32x32 images
    'model.mask_scheduler': dict(type='RandomRangeMaskScheduler', min_ratio=0.3, max_ratio=0.5),
    'custom_hooks': [
        dict(type='MaskScheduleHook'),
        dict(type='TrainRecordHook'),
        dict(type='EMAHook', ema_type='SyncFreeEMA', momentum=1e-2, update_buffers=True),
    ],  # fmt: skip
}

TINY_TREAD = {
    **TINY_MDT,
    'model.denoiser': dict(type='DiT', arch='p', hidden_size=32, depth=3, num_heads=2, input_size=32, patch_size=4,
                           in_channels=1, num_classes=10, learn_sigma=True),
    'model.mask_scheduler': dict(type='FixedMaskScheduler', ratio=0.5),
    'model.token_plan': dict(type='TokenRouting', start=1, stop=2),
}  # fmt: skip
TINY_MASKDIT = {
    **TINY_TREAD,
    'model.denoiser': dict(TINY_TREAD['model.denoiser'], type='MaskDiT', decoder_hidden_size=16, decoder_depth=1,
                           decoder_num_heads=2),
    'model.token_plan': dict(type='DeferredMasking', start=0),
    'model.mae_loss': dict(type='MaskedMSELoss', norm_pix=True, loss_weight=0.1),
}  # fmt: skip


TINY_VQGAN = {
    **{f'{split}_dataloader.dataset.type': 'EmbeddedFashionMNIST' for split in ('train', 'val')},
    'train_dataloader.batch_size': 4,
    'train_dataloader.num_workers': 0,
    'train_dataloader.persistent_workers': False,
    'model.disc_start': 0,  # generator and discriminator steps from the start: two optimiser steps per iteration
    'model.projector.restart_every': 100,
}


@pytest.mark.parametrize(
    'config, options, steps',
    [
        (QUICK_START, {'train_dataloader.batch_size': 8}, 1),
        (QUICK_START, {'train_dataloader.batch_size': 8, 'optim_wrapper.clip_grad': dict(max_norm=1.0)}, 1),
        ('configs/dit/dit_p4_fmnist-mini.py', TINY_DIT, 1),
        ('configs/dit/dit_p4_fmnist-mini.py', TINY_MDT, 1),
        ('configs/dit/dit_p4_fmnist-mini.py', TINY_TREAD, 1),
        ('configs/dit/dit_p4_fmnist-mini.py', TINY_MASKDIT, 1),
        (
            'configs/finetune/vitp_quickstart-pre_fmnist-mini.py',
            {
                'model.backbone.init_cfg': None,
                'train_dataloader.batch_size': 8,
                'model.data_preprocessor.mixup': dict(mixup_alpha=0.8, cutmix_alpha=1.0, label_smoothing=0.1),
                'model.data_preprocessor.random_erasing': dict(probability=0.25, mode='pixel'),
            },
            1,
        ),
        ('configs/vqgan/vqgan_f4_fmnist.py', TINY_VQGAN, 2),
    ],
    ids=['lmd', 'lmd-clip', 'dit-ema', 'mdtv2-ema', 'tread-ema', 'maskdit-ema', 'finetune-mixup', 'vqgan-gan'],
)
def test_a_training_iteration_waits_for_the_device_once_per_optimiser_step(config, options, steps):
    counters = load_audit_tool().audit(osp.join(ROOT, config), iters=2, warmup=2, cfg_options=options)
    assert len(counters) == 2
    for counter in counters:
        assert counter.count == steps, counter.events
        assert all(what == 'tolist' and 'step_readout.py' in site for what, site in counter.events)


def test_resolve_runs_before_mmengine_reads_the_outputs():
    hub = MessageHub.get_instance('readout-order')
    outputs = dict(loss=torch.tensor(0.25))
    hook = NonFiniteGuardHook()
    with HostSyncCounter() as syncs:
        hook.after_train_iter(None, 0, None, outputs)
        hub.update_scalar('train/loss', outputs['loss'])  # what RuntimeInfoHook does next: no further read
    assert syncs.count == 1 and hub.get_scalar('train/loss').current() == 0.25
    assert get_priority(NonFiniteGuardHook.priority) < get_priority(RuntimeInfoHook.priority)  # runs strictly first


def test_label_check_reads_the_first_training_batch_only():
    from lmdkit.models.algorithms.base import BaseAlgorithm

    class Algorithm(BaseAlgorithm):  # the two modes every algorithm implements; has_unlabelled is what is tested
        def loss(self, inputs, data_samples=None):
            pass

        def predict(self, inputs, data_samples=None):
            pass

    model = Algorithm()
    labelled, unlabelled = torch.tensor([0, 3]), torch.tensor([-1, -1])
    assert model.has_unlabelled(unlabelled, training=False)  # evaluation reads every batch ...
    assert not model.has_unlabelled(labelled)  # ... and does not use up the training check
    with HostSyncCounter() as syncs:
        assert not model.has_unlabelled(unlabelled)  # later training batches are not read
    assert syncs.count == 0
    assert Algorithm().has_unlabelled(unlabelled)  # a first training batch is


def test_a_model_copy_gets_an_empty_readout_of_its_own():
    """EMA and sampling copies deep-copy the model; a step's pending values (still on the autograd graph when no
    guard has read them) stay with the original and do not make the copy fail."""
    import copy

    from lmdkit.registry import MODELS

    from ..conftest import tiny_lmd_model

    model = MODELS.build(tiny_lmd_model())
    w = torch.nn.Parameter(torch.ones(2))
    model.step_readout.expect(dict(loss=(w * 2).sum()))  # a tensor with grad_fn, as parse_losses leaves them
    twin = copy.deepcopy(model)
    assert twin.step_readout is not model.step_readout and twin.step_readout.expected == []
    assert len(model.step_readout.expected) == 1
