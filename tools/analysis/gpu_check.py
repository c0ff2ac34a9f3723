"""Check that a GPU machine trains every headline model correctly and at speed, in one command.

    python tools/analysis/gpu_check.py [--quick] [--out DIR] [--models NAME ...] [--steps N] [--batch-scale F]

For LMD ViT-B on cached SD-VAE latents, MAE ViT-B/16 at 224 px, DiT-XL/2 and MDTv2-XL/2 on 256-px latents and the
ViT-B/16 fine-tuning step (each built from its shipped config with random weights, fed random batches of the real
shapes), it runs real training steps (``model.train_step``: preprocessing, forward, loss, backward, optimiser):

- bf16 autocast, eager and ``torch.compile``, on one device;
- fp16 with dynamic loss scaling (MMEngine's ``AmpOptimWrapper``) for DiT-XL/2;
- DDP and FSDP2 on every visible GPU (``torchrun`` started by this script; gloo on CPU), and a checkpoint gathered
  from the FSDP2 shards loaded into a single-device model, which must give the sharded model's loss;
- the first steps of bf16 and fp32 from the same weights, whose losses must agree within ``BF16_TOLERANCE``.

Per run it reports images/s per device, MFU (the eager step's counted FLOPs over time, against the bf16 matmul
peak measured here), peak memory, host syncs in one step as the training loop runs it (the target is 1: the read of
the logged values with the gradient check; CUDA: ``torch.cuda.set_sync_debug_mode``; CPU: lmdkit's dispatch-level
counter) and whether the loss fell over the run (4 fixed batches, cycled). Writes ``gpu_check.json``
and ``gpu_check.md`` (a table for docs/benchmarks.md) under ``--out`` with the public targets beside the numbers.

Without CUDA the same code runs at toy sizes on the CPU (so CI exercises it) and the report names what it skipped:
fp16 (MMEngine's loss scaler needs CUDA) and ``torch.compile`` (inductor's C++ build takes minutes per model on a
small CPU; ``--compile-cpu`` runs it). The GPU machine's Python lacks mmengine and mmcv-lite: see
``tools/analysis/gpu_bundle.sh`` for the wheels and the one command that runs this check there.
"""

import argparse
import json
import logging
import math
import os
import os.path as osp
import platform
import resource
import socket
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass, field
from functools import partial
from typing import Callable, Dict, List, Optional

import torch

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
sys.path.insert(0, ROOT)

from mmengine.config import Config  # noqa: E402
from mmengine.optim import build_optim_wrapper  # noqa: E402

from lmdkit.apis import register_all_modules  # noqa: E402
from lmdkit.engine.precision import apply_amp, full_precision  # noqa: E402
from lmdkit.evaluation.flops import count_flops, matmul_peak, synchronize  # noqa: E402
from lmdkit.models.algorithms.base import step_readout_of  # noqa: E402
from lmdkit.registry import MODELS  # noqa: E402
from lmdkit.utils.host_syncs import HostSyncCounter  # noqa: E402

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from gpu_check_report import (  # noqa: E402
    AGREE_STEPS,
    BF16_TOLERANCE,
    FSDP2_RELOAD_TOLERANCE,
    GRAD_COSINE_MIN,
    failures,
    markdown,
    spec_peak_tflops,
)

TOY_IMAGE = 32  # CPU: images of 32 px, latents of 4x4 (f = 8)


@dataclass
class Spec:
    """One model of the check: its shipped config, what its batches hold, and its sizes."""

    config: str
    inputs: str  # 'latents': cached posterior records (mean, logvar), 'images': uint8 pixels
    image_size: int
    batch: int  # per device on a GPU
    options: dict = field(default_factory=dict)  # always applied (random weights: no checkpoint files)
    toy: dict = field(default_factory=dict)  # CPU sizes
    target: str = ''  # the public record to beat


_VIT_TOY = {'model.backbone.embed_dim': 64, 'model.backbone.depth': 2, 'model.backbone.num_heads': 2}
_DECODER_TOY = {'model.neck.in_dim': 64, 'model.neck.embed_dim': 32, 'model.neck.depth': 1, 'model.neck.num_heads': 2}
_SD_VAE_TOY = {'model.projector.ch': 32}  # channels 32/64/128/128, still f = 8
SPECS: Dict[str, Spec] = {
    'lmd_vitb': Spec(
        'configs/lmd/lmd_vitb_in1k_cache.py', 'latents', 224, 1024,
        options={'model.projector.checkpoint': None},
        toy={**_VIT_TOY, **_DECODER_TOY, **_SD_VAE_TOY, 'model.backbone.img_size': 4, 'model.backbone.patch_size': 2,
             'model.neck.grid_size': 2, 'model.neck.patch_size': 2}),
    'mae_vitb': Spec(
        'configs/mae/mae_vitb_in1k.py', 'images', 224, 256,
        toy={**_VIT_TOY, **_DECODER_TOY, 'model.backbone.img_size': TOY_IMAGE, 'model.backbone.patch_size': 8,
             'model.neck.grid_size': 4, 'model.neck.patch_size': 8},
        target='MAE ViT-B/16: >= 40 % bf16 MFU'),
    'dit_xl2': Spec(
        'configs/dit/dit_xl2_in1k.py', 'latents', 256, 128,
        options={'model.projector.checkpoint': None},
        toy={**_SD_VAE_TOY, 'model.denoiser.arch': 'S', 'model.denoiser.depth': 2, 'model.denoiser.input_size': 4},
        target='DiT-XL/2: >= 40 % bf16 MFU (official DiT code ~6 %, fast-DiT ~24 % = 107 img/s on an A100)'),
    'mdtv2_xl2': Spec(
        'configs/mdt/mdtv2_xl2_in1k.py', 'latents', 256, 64,
        options={'model.projector.checkpoint': None},
        toy={**_SD_VAE_TOY, 'model.denoiser.arch': 'S', 'model.denoiser.depth': 3, 'model.denoiser.decode_layers': 1,
             'model.denoiser.input_size': 4}),
    'vitb_finetune': Spec(
        'configs/finetune/vitb_mae-pre_in1k.py', 'images', 224, 128,
        options={'model.backbone.init_cfg': None},
        toy={**_VIT_TOY, 'model.backbone.img_size': TOY_IMAGE, 'model.backbone.patch_size': 8,
             'model.head.in_channels': 64}),
}  # fmt: skip
FP16_MODEL = 'dit_xl2'


# ----------------------------------------------------------------------------------------------- building blocks
def build_model(name: str, toy: bool, device: str, seed: int = 0) -> tuple:
    """(model in train mode on ``device``, its config) from the spec's shipped config."""
    spec = SPECS[name]
    cfg = Config.fromfile(osp.join(ROOT, spec.config))
    cfg.merge_from_dict({**spec.options, **(spec.toy if toy else {})})
    recipe, optimizer = cfg.get('recipe') or {}, cfg.optim_wrapper.optimizer
    if optimizer.get('lr') is None and 'base_lr' in recipe:  # the recipe's lr at its own images per step
        optimizer.lr = recipe['base_lr'] * recipe['batch_size'] / recipe.get('base_batch_size', 256)
    torch.manual_seed(seed)
    with torch.device(device):  # initialise on the GPU: an XL model takes seconds to initialise on the host
        model = MODELS.build(cfg.model)
    return model.to(device).train(), cfg


def optim_wrapper(model: torch.nn.Module, cfg: Config, precision: str):
    """The config's optimiser in ``precision``: 'fp32', or what ``--amp bf16`` / ``--amp fp16`` builds
    (``lmdkit.engine.precision``: bf16 autocast without loss scaling; fp16 AMP with a dynamic loss scaler, CUDA
    only)."""
    wrapper = cfg.optim_wrapper.copy()
    full_precision(wrapper)  # then the precision asked for, not the config's
    if precision != 'fp32':
        apply_amp(wrapper, precision, next(model.parameters()).device.type)
    return build_optim_wrapper(model, wrapper)


def seed_all(seed: int) -> None:
    """Python, NumPy and torch generators: timesteps, noise and masks come from torch; timm's mixup and random
    erasing (fine-tuning) from NumPy and Python."""
    import random

    import numpy as np

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def make_batches(name: str, model: torch.nn.Module, batch: int, toy: bool, device: str, seed: int = 0,
                 count: int = 4) -> List[dict]:  # fmt: skip
    """``count`` random batches of the model's real input on the host, as a data loader hands them over (pinned
    on CUDA; the model's preprocessor copies them): uint8 images, or the latent-cache records that the model's
    projector writes for random images (8 encoded per batch, repeated: the step costs the same)."""
    spec = SPECS[name]
    size = TOY_IMAGE if toy else spec.image_size
    g = torch.Generator().manual_seed(seed)
    pin = device.startswith('cuda')
    batches = []
    for _ in range(count):
        labels = torch.randint(0, 1000, (batch,), generator=g)
        if spec.inputs == 'images':
            inputs = torch.randint(0, 256, (batch, 3, size, size), generator=g, dtype=torch.uint8)
            inputs = inputs.pin_memory() if pin else inputs
        else:
            encoded = min(batch, 8)
            images = torch.rand(encoded, 3, size, size, generator=g).to(device) * 2 - 1
            with torch.no_grad():
                record = model.projector.cache_encode(images)
            repeat = -(-batch // encoded)
            inputs = {k: v.repeat(repeat, *[1] * (v.dim() - 1))[:batch].cpu() for k, v in record.items()}
            inputs = {k: v.pin_memory() for k, v in inputs.items()} if pin else inputs
        batches.append(dict(inputs=inputs, data_samples=dict(gt_label=labels)))
    return batches


def count_syncs(step: Callable[[], object], device: str) -> int:
    """Host syncs in one call of ``step``: CUDA reports every synchronising call itself; on the CPU lmdkit's
    dispatch-level counter finds the same calls (reads of values, data-dependent shapes)."""
    if device.startswith('cuda'):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            torch.cuda.set_sync_debug_mode('warn')
            try:
                step()
            finally:
                torch.cuda.set_sync_debug_mode('default')
        synchronize(device)  # after the mode is restored: an explicit synchronize would be reported too
        return sum('synchroniz' in str(w.message) for w in caught)
    with HostSyncCounter() as counter:
        step()
    return counter.count


def peak_memory_mb(device: str) -> float:
    if device.startswith('cuda'):
        return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def train_step(model, batch: dict, wrapper) -> Dict[str, float]:
    """One training step as the training loop runs it: ``train_step``, then the step's logged values read in one
    host transfer (the model's ``step_readout``, what NonFiniteGuardHook and the loop do every iteration)."""
    return step_readout_of(model).resolve(model.train_step(batch, wrapper))  # bare or DDP-wrapped


def train_steps(model, wrapper, batches: List[dict], steps: int, device: str) -> tuple:
    """``steps`` training steps over the cycled ``batches``: (seconds, losses)."""
    synchronize(device)
    t0 = time.perf_counter()
    losses = [train_step(model, batches[i % len(batches)], wrapper)['loss'] for i in range(steps)]
    synchronize(device)
    return time.perf_counter() - t0, losses


def loss_fell(losses: List[float]) -> bool:
    quarter = max(len(losses) // 4, 1)
    first, last = losses[:quarter], losses[-quarter:]
    return sum(last) / len(last) < sum(first) / len(first)


# ----------------------------------------------------------------------------------------------------- the runs
def single_run(name: str, precision: str, compiled: bool, args, device: str, peak: float) -> dict:
    """One model on one device: warm-up, timed steps, FLOPs, memory, host syncs."""
    model, cfg = build_model(name, args.toy, device)
    wrapper = optim_wrapper(model, cfg, precision)
    batch = batch_size(name, args)
    batches = make_batches(name, model, batch, args.toy, device)
    flops = count_flops(lambda: train_step(model, batches[0], wrapper))  # eager FLOPs, also those of the graph
    syncs = count_syncs(lambda: train_step(model, batches[1], wrapper), device)
    if compiled:
        model.train_step = torch.compile(model.train_step)
    if device.startswith('cuda'):
        torch.cuda.reset_peak_memory_stats()
    result = dict(model=name, precision=precision, compiled=compiled, parallel='single', devices=1,
                  host_syncs_per_step=syncs,
                  target=SPECS[name].target if (precision, compiled) == ('bf16', False) else '',
                  **timed_run(model, wrapper, batches, flops, args, device, peak))  # fmt: skip
    if precision == 'fp16':
        scaler = wrapper.loss_scaler
        result['loss_scale'] = float(scaler.get_scale())
    return result


def timed_run(model, wrapper, batches: List[dict], flops: int, args, device: str, peak: float) -> dict:
    """``args.warmup`` untimed then ``args.steps`` timed steps: speed, MFU, peak memory and the losses."""
    t0 = time.perf_counter()
    train_steps(model, wrapper, batches, args.warmup, device)
    warmup_s = time.perf_counter() - t0
    seconds, losses = train_steps(model, wrapper, batches, args.steps, device)
    batch = len(batches[0]['data_samples']['gt_label'])
    return dict(batch=batch, steps=args.steps, warmup_s=warmup_s, s_per_step=seconds / args.steps,
                images_per_s_per_device=batch * args.steps / seconds, flops_per_step=flops,
                mfu=flops * args.steps / seconds / peak, achieved_tflops=flops * args.steps / seconds / 1e12,
                peak_memory_mb=peak_memory_mb(device), first_loss=losses[0], last_loss=losses[-1],
                loss_fell=loss_fell(losses), finite=all(map(math.isfinite, losses)))  # fmt: skip


def agreement(name: str, args, device: str) -> dict:
    """bf16 against fp32 over the first AGREE_STEPS steps from the same weights, batches and random draws."""
    losses, grads = {}, {}
    for precision in ('fp32', 'bf16'):
        model, cfg = build_model(name, args.toy, device)
        wrapper = optim_wrapper(model, cfg, precision)
        batches = make_batches(name, model, batch_size(name, args, agreement=True), args.toy, device)
        seed_all(99)
        grads[precision] = first_gradients(model, wrapper, batches[0])
        losses[precision] = []
        for i in range(AGREE_STEPS):
            seed_all(100 + i)  # the same timesteps, noise, masks and mixing in both precisions
            losses[precision].append(train_step(model, batches[i], wrapper)['loss'])
    worst = max(abs(a - b) / max(abs(a), 1e-8) for a, b in zip(losses['fp32'], losses['bf16']))
    cosine = float(torch.nn.functional.cosine_similarity(grads['fp32'], grads['bf16'], dim=0))
    return dict(model=name, fp32=losses['fp32'], bf16=losses['bf16'], max_rel_diff=worst, tolerance=BF16_TOLERANCE,
                grad_cosine=cosine, grad_cosine_min=GRAD_COSINE_MIN,
                ok=worst <= BF16_TOLERANCE and cosine >= GRAD_COSINE_MIN)  # fmt: skip


def first_gradients(model, wrapper, batch: dict) -> torch.Tensor:
    """All trainable parameters' gradients of one batch's loss, flattened (fp32): a precision that changes the
    loss little at initialisation (zero-initialised output layers) still shows in the gradients."""
    with wrapper.optim_context(model):
        data = model.data_preprocessor(batch, True)
        losses = model(**data, mode='loss')
    loss = total_loss(losses)
    model.zero_grad(set_to_none=True)
    loss.backward()
    flat = torch.cat([p.grad.float().flatten() for p in model.parameters() if p.grad is not None])
    model.zero_grad(set_to_none=True)
    return flat


def guarded(run: Callable[[], dict], **labels) -> dict:
    """``run()``; a failure (out of memory, a compile error) is recorded under ``labels`` and the check goes on."""
    try:
        return run()
    except Exception as exc:  # noqa: BLE001 - every failure is reported, none stops the other runs
        return dict(parallel='single', **labels, **failure(exc))
    finally:
        if torch.cuda.is_available():
            torch.cuda.empty_cache()


def failure(exc: Exception) -> dict:
    """``reason`` (the exception's first line) and ``error`` (the traceback's end) of a failed run."""
    import traceback

    return dict(reason=f'{type(exc).__name__}: {exc}'.strip().splitlines()[0][:200],
                error=traceback.format_exc()[-3000:])  # fmt: skip


def batch_size(name: str, args, agreement: bool = False) -> int:
    if args.toy:
        return 4
    full = max(2, int(SPECS[name].batch * args.batch_scale) // 2 * 2)  # even: mixup pairs the batch
    return min(full, 32) if agreement else full


# ------------------------------------------------------------------------------------------- distributed runs
def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def launch_parallel(mode: str, names: List[str], args, nproc: int) -> List[dict]:
    """Run the ``mode`` ('ddp' or 'fsdp2') worker of this script on ``nproc`` processes with torchrun."""
    out = osp.join(args.out, mode)
    os.makedirs(out, exist_ok=True)
    cmd = [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node', str(nproc), '--master_port',
           str(free_port()), osp.abspath(__file__), '--worker', mode, '--out', out, '--models', *names,
           '--steps', str(args.steps), '--warmup', str(args.warmup),
           '--batch-scale', str(args.batch_scale)]  # fmt: skip
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([ROOT, os.environ.get('PYTHONPATH', '')]))
    if not torch.cuda.is_available():
        env['OMP_NUM_THREADS'] = '1'
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    log = (done.stdout + done.stderr)[-3000:]
    results = []
    for n in names:  # the models that finished before a failure keep their results
        path = osp.join(out, f'{n}.json')
        if osp.isfile(path):
            with open(path) as f:
                results.append(json.load(f))
        else:
            reason = f'the {mode} job ended (exit {done.returncode}) before this model finished'
            results.append(dict(model=n, parallel=mode, reason=reason, error=log))
    return results


def worker(args) -> None:
    """One rank of a DDP or FSDP2 run (started by :func:`launch_parallel`)."""
    import torch.distributed as dist

    cuda = torch.cuda.is_available()
    dist.init_process_group('nccl' if cuda else 'gloo')
    rank, world = dist.get_rank(), dist.get_world_size()
    device = f'cuda:{int(os.environ["LOCAL_RANK"])}' if cuda else 'cpu'
    if cuda:
        torch.cuda.set_device(device)
    peak = matmul_peak(device, torch.bfloat16)
    for name in args.models:
        try:
            result = parallel_run(name, args, device, rank, world, peak)
        except Exception as exc:  # record the reason; the job then ends (the other ranks may wait in a collective)
            if rank == 0:
                with open(osp.join(args.out, f'{name}.json'), 'w') as f:
                    json.dump(dict(model=name, parallel=args.worker, **failure(exc)), f)
            raise
        if rank == 0:
            with open(osp.join(args.out, f'{name}.json'), 'w') as f:
                json.dump(result, f, indent=2)
        dist.barrier()
    dist.destroy_process_group()


def parallel_run(name: str, args, device: str, rank: int, world: int, peak: float) -> dict:
    """One model in bf16 under DDP or FSDP2 (``args.worker``), each rank with its own batches."""
    cuda = device.startswith('cuda')
    model, cfg = build_model(name, args.toy, device)
    batches = make_batches(name, model, batch_size(name, args), args.toy, device, seed=rank)
    probe = make_batches(name, model, 2, args.toy, device, seed=12345, count=1)[0]  # the same on every rank
    if args.worker == 'ddp':
        from lmdkit.engine.model_wrappers import CPUSafeDistributedDataParallel

        wrapper = optim_wrapper(model, cfg, 'bf16')
        runner_model = CPUSafeDistributedDataParallel(model, device_ids=[torch.cuda.current_device()] if cuda else None)
    else:
        from torch.distributed.device_mesh import init_device_mesh

        from lmdkit.engine.fsdp2_strategy import fully_shard_model

        fully_shard_model(model, init_device_mesh('cuda' if cuda else 'cpu', (world,)))
        runner_model, wrapper = model, optim_wrapper(model, cfg, 'bf16')
    flops = count_flops(lambda: train_step(runner_model, batches[0], wrapper))
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    result = dict(model=name, precision='bf16', compiled=False, parallel=args.worker, devices=world,
                  **timed_run(runner_model, wrapper, batches, flops, args, device, peak))  # fmt: skip
    if args.worker == 'fsdp2':
        result.update(fsdp2_checkpoint(name, model, probe, args, rank))
    return result


def total_loss(losses: Dict[str, torch.Tensor]) -> torch.Tensor:
    """The sum of a model's ``*loss*`` outputs, as MMEngine's ``parse_losses`` forms it (without announcing the
    logged values to the step readout)."""
    return sum(v for k, v in losses.items() if 'loss' in k)


def probe_loss(model: torch.nn.Module, batch: dict) -> float:
    """The fp32 loss of one batch with fixed random draws (timesteps, noise, masks)."""
    seed_all(1234)
    with torch.no_grad():
        data = model.data_preprocessor(batch, True)
        losses = model(**data, mode='loss')
        return float(total_loss(losses))


def fsdp2_checkpoint(name: str, model, batch: dict, args, rank: int) -> dict:
    """Gather the FSDP2 shards into a full state dict (a collective), save it from rank 0 and record the sharded
    model's loss on ``batch`` (the same on every rank); the parent process loads the file on one device and
    compares."""
    from torch.distributed.checkpoint.state_dict import StateDictOptions, get_model_state_dict

    state = get_model_state_dict(model, options=StateDictOptions(full_state_dict=True, cpu_offload=True))
    reference = probe_loss(model, batch)
    path = osp.join(args.out, f'{name}_fsdp2_full.pth')
    if rank == 0:
        torch.save(dict(state_dict=state, batch=batch), path)  # host tensors, as make_batches gives them
    return dict(fsdp2_checkpoint=path, fsdp2_loss=reference)


def reload_on_one_device(result: dict, args, device: str) -> dict:
    """Load the gathered FSDP2 checkpoint into an unsharded model: its loss must be the sharded model's."""
    saved = torch.load(result['fsdp2_checkpoint'], map_location='cpu', weights_only=True)
    model, _ = build_model(result['model'], args.toy, device, seed=1)  # other initial weights: the load must matter
    model.load_state_dict(saved['state_dict'], strict=True)
    loss = probe_loss(model, saved['batch'])  # the model's preprocessor moves it to the device
    os.remove(result['fsdp2_checkpoint'])  # a multi-GB file at full size
    diff = abs(loss - result['fsdp2_loss']) / max(abs(result['fsdp2_loss']), 1e-8)
    return dict(reloaded_loss=loss, reload_rel_diff=diff, reload_ok=diff <= FSDP2_RELOAD_TOLERANCE)


# -------------------------------------------------------------------------------------------------------- main
def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--quick', action='store_true',
                        help='fewer steps; torch.compile and the parallel runs for DiT-XL/2 and LMD only '
                             '(about 5 min on one H200)')  # fmt: skip
    parser.add_argument('--out', default='work_dirs/gpu_check', help='folder for gpu_check.json and gpu_check.md')
    parser.add_argument('--models', nargs='+', choices=list(SPECS), default=list(SPECS))
    parser.add_argument('--steps', type=int, help='timed steps per run (default 200; --quick 30; CPU 6)')
    parser.add_argument('--warmup', type=int, help='untimed steps first (default 10; --quick 5; CPU 2)')
    parser.add_argument('--batch-scale', type=float, default=1.0, help='multiply GPU batches (0.5: less memory)')
    parser.add_argument('--compile-cpu', action='store_true', help='also run torch.compile without CUDA')
    parser.add_argument('--worker', choices=['ddp', 'fsdp2'], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    cuda = torch.cuda.is_available()
    args.toy = not cuda
    args.steps = args.steps or (6 if not cuda else 30 if args.quick else 200)
    args.warmup = args.warmup if args.warmup is not None else (2 if not cuda else 5 if args.quick else 10)
    return args


def main(argv: Optional[List[str]] = None) -> dict:
    args = parse_args(argv)
    register_all_modules()
    torch.set_flush_denormal(True)
    # MMEngine's optimiser constructor warns once per frozen projector parameter (hundreds of lines)
    logging.getLogger('mmengine').setLevel(logging.ERROR)
    if args.worker:
        worker(args)
        return {}
    cuda = torch.cuda.is_available()
    device = 'cuda' if cuda else 'cpu'
    os.makedirs(args.out, exist_ok=True)
    gpus = torch.cuda.device_count() if cuda else 0
    peak = matmul_peak(device, torch.bfloat16)
    report = dict(
        command='python tools/analysis/gpu_check.py ' + ' '.join(argv if argv is not None else sys.argv[1:]),
        environment=dict(device=torch.cuda.get_device_name(0) if cuda else f'CPU ({os.cpu_count()} cores, toy sizes)',
                         devices=max(gpus, 1), torch=torch.__version__, cuda=torch.version.cuda,
                         python=platform.python_version(), bf16_peak_tflops=peak / 1e12,
                         bf16_spec_tflops=spec_peak_tflops(torch.cuda.get_device_name(0)) if cuda else None,
                         fp32_peak_tflops=matmul_peak(device, torch.float32) / 1e12),
        runs=[], agreement=[], skipped=[],
    )  # fmt: skip
    heavy = [n for n in args.models if n in ('dit_xl2', 'lmd_vitb')] if args.quick else list(args.models)
    started = time.perf_counter()

    def progress(text: str) -> None:
        print(f'[gpu_check {time.perf_counter() - started:6.0f} s] {text}', flush=True)

    def run_single(name: str, precision: str, compiled: bool, what: str) -> None:
        progress(f'{name}: {what}')
        run = partial(single_run, name, precision, compiled, args, device, peak)
        report['runs'].append(guarded(run, model=name, precision=precision, compiled=compiled))

    for name in args.models:
        run_single(name, 'bf16', False, 'bf16 eager')
        if name in heavy and (cuda or args.compile_cpu):
            run_single(name, 'bf16', True, 'bf16 torch.compile')
        if name == FP16_MODEL:
            if cuda:
                run_single(name, 'fp16', False, 'fp16 + dynamic loss scaling')
            else:
                report['skipped'].append(f'{name} fp16 (MMEngine AmpOptimWrapper loss scaling needs CUDA)')
        progress(f'{name}: bf16 against fp32')
        report['agreement'].append(guarded(partial(agreement, name, args, device), model=name))
        if cuda:
            torch.cuda.empty_cache()
    if not (cuda or args.compile_cpu):
        report['skipped'].append('torch.compile on the CPU (minutes of C++ build per model; --compile-cpu runs it)')
    nproc = gpus if cuda else 2
    for mode in ('ddp', 'fsdp2') if heavy else ():
        progress(f'{mode} on {nproc} {"GPUs" if cuda else "gloo processes"}: {", ".join(heavy)}')
        for result in launch_parallel(mode, heavy, args, nproc):
            if mode == 'fsdp2' and 'error' not in result:
                result.update(reload_on_one_device(result, args, device))
            report['runs'].append(result)
    report['skipped'].append('DeepSpeed ZeRO-2 (not part of this check yet)')
    report['failures'] = failures(report)
    with open(osp.join(args.out, 'gpu_check.json'), 'w') as f:
        json.dump(report, f, indent=2)
    table = markdown(report)
    with open(osp.join(args.out, 'gpu_check.md'), 'w') as f:
        f.write(table)
    print(table)
    progress(f'done; {len(report["failures"])} failure(s); {args.out}/gpu_check.json')
    for failure in report['failures']:
        print('FAILED:', failure)
    return report


if __name__ == '__main__':
    sys.exit(1 if main().get('failures') else 0)
