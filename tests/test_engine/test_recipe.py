"""A recipe stated as the paper states it (images per step, lr per 256, epochs) resolves to the same training at
any number of ranks, and accumulated micro-batches train exactly like one big batch."""

import json
import os
import os.path as osp
import uuid

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from mmengine.config import Config
from mmengine.runner import Runner

from lmdkit.engine import apply_recipe
from lmdkit.engine.recipe import split_batch

from ..conftest import ROOT, tiny_runner_cfg
from .test_resume import run

HEADLINE = osp.join(ROOT, 'configs', 'lmd', 'lmd_vitb_in1k.py')
IMAGENET_TRAIN = 1_281_167


def headline(world_size: int, accumulate=None, **options):
    cfg = Config.fromfile(HEADLINE)
    cfg.merge_from_dict(options)
    recipe = apply_recipe(cfg, world_size, accumulate, dataset_size=lambda: IMAGENET_TRAIN)
    return cfg, recipe


@pytest.mark.parametrize(
    'world_size, rank_batch, accumulate', [(1, 256, 8), (2, 256, 4), (4, 256, 2), (8, 256, 1), (64, 32, 1)]
)
def test_headline_recipe_is_the_same_at_any_gpu_count(world_size, rank_batch, accumulate):
    cfg, recipe = headline(world_size)
    assert (recipe.rank_batch, recipe.accumulate) == (rank_batch, accumulate)
    assert recipe.images_per_step == world_size * rank_batch * accumulate == 2048
    assert cfg.train_dataloader.batch_size == rank_batch
    # linear rule: 1.5e-4 per 256 images
    assert cfg.optim_wrapper.optimizer.lr == pytest.approx(1.5e-4 * 2048 / 256)
    # 400 epochs of ImageNet's training set, rounded up to whole steps; warm-up 40 epochs
    per_epoch = IMAGENET_TRAIN / 2048
    assert cfg.train_cfg.max_iters == -(-400 * IMAGENET_TRAIN // 2048) == 250_228
    warmup, cosine = cfg.param_scheduler
    assert (warmup.begin, warmup.end, warmup.by_epoch) == (0, round(40 * per_epoch), False)
    assert (cosine.begin, cosine.end) == (warmup.end, cfg.train_cfg.max_iters)
    if accumulate > 1:
        assert cfg.train_cfg.type == 'AccumulatingTrainLoop' and cfg.train_cfg.accumulate == accumulate
        assert cfg.optim_wrapper.accumulative_counts == accumulate
    else:
        assert cfg.train_cfg.type == 'AccumulatingTrainLoop' and 'accumulative_counts' not in cfg.optim_wrapper
    assert not cfg.auto_scale_lr.enable if 'auto_scale_lr' in cfg else True
    line = recipe.describe()
    assert f'× accumulate {accumulate} = 2,048 images/step' in line and '400 epochs = 250,228 iterations' in line


def test_explicit_accumulation_and_pinned_values():
    cfg, recipe = headline(2, accumulate=8)  # 128 per rank
    assert (recipe.rank_batch, recipe.accumulate, recipe.images_per_step) == (128, 8, 2048)
    cfg, recipe = headline(2, **{'optim_wrapper.optimizer.lr': 1e-3, 'train_cfg.max_iters': 100})
    assert cfg.optim_wrapper.optimizer.lr == 1e-3 and 'pinned' in recipe.lr_source
    assert cfg.train_cfg.max_iters == 100 and recipe.max_iters_pinned
    # the 40-epoch warm-up (~25k iterations) is cut at the pinned end; the cosine phase after it cannot run
    assert [(s.type, s.begin, s.end) for s in cfg.param_scheduler] == [('LinearLR', 0, 100)]
    assert 'dropped' in recipe.describe()


def test_recipe_errors_name_the_fix():
    with pytest.raises(ValueError, match='cannot be split over 3 ranks'):
        headline(3)
    with pytest.raises(ValueError, match='--accumulate 3'):
        headline(2, accumulate=3)
    with pytest.raises(ValueError, match=r'1024 images per rank .* train_dataloader.batch_size=256.* at least 4'):
        headline(2, accumulate=1)
    cfg = Config.fromfile(HEADLINE)
    with pytest.raises(ValueError, match='recipe.dataset_size'):
        apply_recipe(cfg, 1)


def test_epoch_schedulers_become_iterations_and_several_optimisers_scale_each():
    cfg = Config.fromfile(HEADLINE)
    cfg.param_scheduler = [dict(type='MultiStepLR', by_epoch=True, milestones=[100, 300], gamma=0.1),
                           dict(type='StepLR', by_epoch=True, step_size=50, begin=0)]  # fmt: skip
    apply_recipe(cfg, 8, dataset_size=lambda: 2048 * 10)  # 10 iterations per epoch
    assert cfg.param_scheduler[0].milestones == [1000, 3000] and cfg.param_scheduler[1].step_size == 500
    cfg.param_scheduler = [dict(type='OneCycleLR', by_epoch=True, total_steps=400, eta_max=1e-3)]
    with pytest.raises(ValueError, match='total_steps in epochs'):
        headline(8, param_scheduler=cfg.param_scheduler)
    gan = Config.fromfile(osp.join(ROOT, 'configs', 'vqgan', 'vqgan_f8_in1k.py'))
    lrs = {k: gan.optim_wrapper[k].optimizer.lr for k in ('projector', 'discriminator')}
    recipe = apply_recipe(gan, 2, scale_lr=True)  # 2 ranks x its batch vs auto_scale_lr.base_batch_size
    factor = 2 * gan.train_dataloader.batch_size / gan.auto_scale_lr.base_batch_size
    for k, lr in lrs.items():
        assert gan.optim_wrapper[k].optimizer.lr == pytest.approx(lr * factor)
    assert 'projector' in recipe.lr_source and 'discriminator' in recipe.lr_source


def test_epoch_based_loops_keep_their_own_length(tmp_path):
    """tools/train.py trains any MMEngine config: an EpochBasedTrainLoop with epoch schedulers passes through."""
    cfg = tiny_runner_cfg(tmp_path)
    cfg.train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=3, val_interval=1)
    cfg.param_scheduler = [dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end=3)]
    recipe = apply_recipe(cfg, 2)
    assert cfg.train_cfg == dict(type='EpochBasedTrainLoop', max_epochs=3, val_interval=1)
    assert cfg.param_scheduler[0].by_epoch and recipe.max_iters is None and '2 ranks × 8' in recipe.describe()
    with pytest.raises(ValueError, match='iteration-based loop'):
        apply_recipe(cfg, 2, accumulate=2)


def test_split_batch_picks_the_fewest_micro_batches_that_fit():
    assert split_batch(2048, 2, 256) == (256, 4)
    assert split_batch(2048, 2, 300) == (256, 4)  # 1024 does not split into 300s: 4 × 256
    assert split_batch(96, 1, 40) == (32, 3)
    assert split_batch(8, 8, 256) == (1, 1)


def test_without_a_recipe_accumulation_and_auto_scale_lr_count_every_image(tmp_path):
    cfg = tiny_runner_cfg(tmp_path)  # batch 8, lr pinned
    lr = cfg.optim_wrapper.optimizer.lr
    cfg.auto_scale_lr = dict(base_batch_size=16, enable=True)
    recipe = apply_recipe(cfg, 2, accumulate=2, scale_lr=True)
    # MMEngine's auto_scale_lr would use 2 × 8 = 16 images and keep lr; with accumulation a step sees 32
    assert recipe.images_per_step == 32 and cfg.optim_wrapper.optimizer.lr == pytest.approx(2 * lr)
    assert cfg.auto_scale_lr.enable is False and cfg.train_cfg.accumulate == 2


class _ImageNetLength:
    """Stands in for the DATASETS registry in lmdkit.apis.train: builds a 'dataset' of ImageNet's length, counted."""

    builds = 0

    @classmethod
    def build(cls, cfg) -> range:
        cls.builds += 1
        return range(IMAGENET_TRAIN)


def _resolve_on_rank(rank: int, world_size: int, port: int, out: str) -> None:
    """The training program's resolve_recipe on one rank of a gloo group: it reads the group's size and measures
    the dataset on rank 0 only."""
    from lmdkit.apis import train

    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    dist.init_process_group('gloo', rank=rank, world_size=world_size)
    try:
        cfg = Config.fromfile(HEADLINE)
        train.DATASETS = _ImageNetLength  # a spawned process of its own: nothing to restore
        recipe = train.resolve_recipe(cfg, accumulate=None, auto_scale_lr=False)
        assert _ImageNetLength.builds == (1 if rank == 0 else 0)  # measured once, broadcast
        mine = [recipe.images_per_step, recipe.lr, recipe.epochs, recipe.max_iters, recipe.rank_batch]
        gathered = [None] * world_size
        dist.all_gather_object(gathered, mine)
        if rank == 0:
            with open(out, 'w') as f:
                json.dump(gathered, f)
    finally:
        dist.destroy_process_group()


def test_gloo_ranks_resolve_the_same_recipe(tmp_path):
    """1, 2 and 4 real gloo process groups: every rank of every job trains 2048 images per step at lr 1.2e-3 for
    400 epochs; only the per-rank batch and the accumulation differ."""
    results = {}
    for world_size in (1, 2, 4):
        out = str(tmp_path / f'{world_size}.json')
        port = 29600 + world_size + (os.getpid() % 500) * 5
        mp.spawn(_resolve_on_rank, args=(world_size, port, out), nprocs=world_size, join=True)
        with open(out) as f:
            results[world_size] = json.load(f)
    for world_size, ranks in results.items():
        assert len(ranks) == world_size and all(r == ranks[0] for r in ranks)
        images, lr, epochs, max_iters, rank_batch = ranks[0]
        assert (images, epochs, max_iters) == (2048, 400, 250_228) and lr == pytest.approx(1.2e-3)
        assert rank_batch == 256


def _train(cfg) -> Runner:
    cfg.experiment_name = f'test_{uuid.uuid4().hex[:8]}'
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner


def _records(work_dir):
    with open(osp.join(work_dir, 'train_record.jsonl')) as f:
        return [json.loads(line) for line in f]


def _accumulated_cfg(work_dir, max_iters):
    """8 images per optimiser step as 2 micro-batches of 4 (the recipe splits them: the per-rank cap is 4)."""
    cfg = tiny_runner_cfg(work_dir, max_iters=max_iters)
    cfg.train_dataloader.batch_size = 4
    cfg.recipe = dict(batch_size=8)
    recipe = apply_recipe(cfg, 1)
    assert (recipe.rank_batch, recipe.accumulate) == (4, 2)
    return cfg


def test_accumulated_micro_batches_equal_one_big_batch(tmp_path):
    big = tiny_runner_cfg(tmp_path / 'big', max_iters=6)  # batch 8, one micro-batch
    apply_recipe(big, 1)
    a = _train(big)
    b = _train(_accumulated_cfg(tmp_path / 'accum', 6))
    assert a.iter == b.iter == 6
    for key, value in a.model.state_dict().items():
        other = b.model.state_dict()[key]
        if key.endswith('qkv.bias'):
            # the key bias's true gradient is exactly 0 (softmax ignores a shift shared by all keys), so its
            # gradient is rounding noise that AdamW turns into full-size steps: compare the q and v biases only
            d = value.shape[0] // 3
            value, other = torch.cat([value[:d], value[2 * d :]]), torch.cat([other[:d], other[2 * d :]])
        torch.testing.assert_close(other, value, rtol=1e-5, atol=1e-6, msg=key)
    rows_a, rows_b = _records(tmp_path / 'big'), _records(tmp_path / 'accum')
    assert [r['iter'] for r in rows_b] == list(range(1, 7))  # iterations are optimiser steps
    assert [r['mask_ratio'] for r in rows_a] == [r['mask_ratio'] for r in rows_b]  # the schedule counts steps
    assert [r['lr'] for r in rows_a] == pytest.approx([r['lr'] for r in rows_b])
    # the logged loss is the mean over the micro-batches: the big batch's loss
    assert [r['loss'] for r in rows_b] == pytest.approx([r['loss'] for r in rows_a], rel=1e-4)


def test_accumulated_run_resumes_exactly(tmp_path):
    """3 + resume + 3 == 6 optimiser steps: the resumed loop skips 3 × 2 micro-batches, not 3."""
    straight = _train(_accumulated_cfg(tmp_path / 'straight', 6))
    first = _accumulated_cfg(tmp_path / 'split', 6)
    first.default_hooks.checkpoint.interval = 3
    run(first, stop_after=3)
    assert osp.isfile(tmp_path / 'split' / 'iter_3.pth')
    cfg = _accumulated_cfg(tmp_path / 'split', 6)
    cfg.resume, cfg.load_from = True, str(tmp_path / 'split' / 'iter_3.pth')
    resumed = _train(cfg)
    assert resumed.iter == 6
    for key, value in straight.model.state_dict().items():
        assert torch.equal(resumed.model.state_dict()[key], value), f'{key} differs after resume'


def test_training_stops_its_data_workers_when_it_ends(tmp_path):
    """The loop releases its data iterators when training ends, so the workers stop at once and in order (left to
    the garbage collector, a distributed rank waited 5 s per worker at exit)."""
    import multiprocessing

    cfg = tiny_runner_cfg(tmp_path, max_iters=2)
    cfg.train_dataloader.num_workers = 2
    cfg.train_dataloader.persistent_workers = True
    apply_recipe(cfg, 1)
    runner = _train(cfg)
    assert runner.train_loop.dataloader_iterator is None
    assert not [p for p in multiprocessing.active_children() if p.is_alive()]
