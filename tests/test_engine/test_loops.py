"""How iterations map to optimiser steps, without MMEngine's private counters."""

from types import SimpleNamespace

import torch
from mmengine.config import Config

from lmdkit.engine.loops import AccumulatingTrainLoop, configured_accumulation, micro_batches_per_iteration
from lmdkit.engine.optimizers import GuardedOptimWrapper


def test_the_accumulation_a_config_asks_for():
    assert configured_accumulation(Config(dict(optim_wrapper=dict(type='OptimWrapper', accumulative_counts=4)))) == 4
    assert configured_accumulation(Config(dict(optim_wrapper=dict(type='OptimWrapper')))) == 1
    assert configured_accumulation(Config(dict())) == 1  # a test-only config has no optimiser


def test_iterations_are_steps_under_the_accumulating_loop_and_micro_batches_otherwise():
    cfg = Config(dict(optim_wrapper=dict(type='AmpOptimWrapper', accumulative_counts=3)))
    native = SimpleNamespace(cfg=cfg, train_loop=object(), optim_wrapper=object())  # MMEngine's loop: micro-batches
    assert micro_batches_per_iteration(native) == 3
    ours = SimpleNamespace(cfg=cfg, train_loop=AccumulatingTrainLoop.__new__(AccumulatingTrainLoop))
    assert micro_batches_per_iteration(ours) == 1


def test_a_runner_built_without_a_config_asks_its_wrapper():
    """``Runner(optim_wrapper=...)`` leaves ``runner.cfg`` empty: the wrapper itself says how it accumulates."""
    wrapper = GuardedOptimWrapper(torch.optim.SGD(torch.nn.Linear(2, 2).parameters(), lr=0.1), accumulative_counts=4)
    runner = SimpleNamespace(cfg=Config(dict()), train_loop=object(), optim_wrapper=wrapper)
    assert micro_batches_per_iteration(runner) == 4
