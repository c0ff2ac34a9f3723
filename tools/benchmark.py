"""Training-step benchmark of a config: throughput, data vs compute share, peak memory, FLOPs and FLOP/s.

    python tools/benchmark.py CONFIG [--out result.json] [--warmup 5] [--repeat 20] [--amp [bf16|fp16]]
        [--mask-ratio 0.75] [--sample-num 16] [--sample-steps S]   (generative configs also get sampling throughput)
        [--breakdown]   (the step's parts: latents, teacher, each denoiser pass, backward, optimiser)
        [--ops]         (the step's ops by kind: matmuls, attention, casts and copies, norms, activations, ...)

Runs ``warmup + repeat`` real training steps (data loading, projector, forward, backward, optimiser update) on
the config's train dataloader, counts one step's FLOPs with torch.utils.flop_counter (CPU attention included),
and measures a matmul peak on the same device and dtype in the same process for the efficiency ratio. Prints a
Markdown row and writes JSON. ``--breakdown`` then profiles ``repeat`` more steps (torch.profiler) and splits their
time into the parts the model labels (``lmdkit::latents``, ``lmdkit::teacher``, ``lmdkit::pass_full`` …; see
``STEP_PARTS``), the backward pass and the optimiser update; the forward's remainder is ``other``. ``--ops``
profiles ``repeat`` more steps and sums the self time of their ops into kinds (``lmdkit.evaluation.step_profile``).
"""

import argparse
import functools
import json
import os
import platform
import resource
import time

import torch
from mmengine.config import DictAction
from mmengine.optim import build_optim_wrapper
from mmengine.runner import Runner

from lmdkit.apis import load_program_config
from lmdkit.engine.precision import add_amp_argument, apply_amp, autocast_dtype_of, full_precision, wrapper_entries
from lmdkit.evaluation.flops import count_flops, matmul_peak, synchronize
from lmdkit.evaluation.step_profile import breakdown_table as ops_table
from lmdkit.evaluation.step_profile import profile_step
from lmdkit.fileio import atomic_write
from lmdkit.models.contracts import LatentPriorFitter, MaskScheduled, ProgressScheduled, Sampler
from lmdkit.registry import MODELS


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config')
    parser.add_argument('--out', help='JSON file (default: print only)')
    parser.add_argument('--warmup', type=int, default=5)
    parser.add_argument('--repeat', type=int, default=20)
    parser.add_argument('--batch-size', type=int, help='override the train batch size')
    parser.add_argument('--compile', action='store_true', help='torch.compile the train step (config: compile=True)')
    precision = parser.add_mutually_exclusive_group()
    add_amp_argument(precision)
    precision.add_argument('--fp32', action='store_true', help="plain fp32 even where the config's wrapper autocasts")
    parser.add_argument('--mask-ratio', type=float, default=0.75, help='fixed mask ratio for masked models')
    parser.add_argument('--sample-num', type=int, default=16, help='generative models: images per sampling run')
    parser.add_argument('--sample-steps', type=int, help="generative models: sampler steps (default: the config's)")
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--breakdown', action='store_true', help="profile the step's parts (see STEP_PARTS)")
    parser.add_argument('--ops', action='store_true', help="profile the step's ops by kind (see step_profile)")
    parser.add_argument('--no-sampling', action='store_true', help='skip the sampling throughput of generative models')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args()


# The labels of a training step's parts (torch.profiler.record_function): the model's own (MaskedDiffusion.loss)
# and those this script puts around the optimiser wrapper's backward and update. They do not nest in one another.
STEP_PARTS = {
    'lmdkit::latents': 'latents (projector or cache)',
    'lmdkit::teacher': 'teacher forward',
    'lmdkit::pass_full': 'full (unmasked) pass',
    'lmdkit::pass_masked': 'masked pass (MDT)',
    'lmdkit::pass_routed': 'token-plan pass',
    'lmdkit::alignment': 'alignment loss (projector MLP)',
    'lmdkit::backward': 'backward',
    'lmdkit::optimizer': 'optimiser update',
}


def _labelled(label: str, fn):
    @functools.wraps(fn)
    def run(*args, **kwargs):
        with torch.profiler.record_function(label):
            return fn(*args, **kwargs)

    return run


def step_breakdown(model, optim_wrapper, next_batch, repeat: int, device: str) -> dict:
    """Seconds per step of each labelled part over ``repeat`` profiled training steps, plus ``data`` (loading),
    ``other`` (the rest of the step: preprocessing, loss bookkeeping, labelled by nobody) and ``total``: host times.
    On CUDA they are device times only with CUDA_LAUNCH_BLOCKING=1 (``main`` sets it for ``--breakdown``): every
    kernel then finishes inside the part that launched it."""
    optim_wrapper.backward = _labelled('lmdkit::backward', optim_wrapper.backward)
    optim_wrapper.step = _labelled('lmdkit::optimizer', optim_wrapper.step)
    optim_wrapper.zero_grad = _labelled('lmdkit::optimizer', optim_wrapper.zero_grad)
    activities = [torch.profiler.ProfilerActivity.CPU]
    data_s = step_s = 0.0
    with torch.profiler.profile(activities=activities) as prof:
        for _ in range(repeat):
            t0 = time.perf_counter()
            data = next_batch()
            t1 = time.perf_counter()
            with torch.profiler.record_function('lmdkit::step'):
                model.train_step(data, optim_wrapper)
                synchronize(device)
            t2 = time.perf_counter()
            data_s, step_s = data_s + t1 - t0, step_s + t2 - t1
    totals = {}
    for event in prof.key_averages():
        if event.key in STEP_PARTS or event.key == 'lmdkit::step':
            totals[event.key] = event.cpu_time_total / 1e6 / repeat  # µs over all steps -> s per step
    step = totals.pop('lmdkit::step', step_s / repeat)
    parts = {key: totals.get(key, 0.0) for key in STEP_PARTS}
    parts['other'] = max(step - sum(parts.values()), 0.0)
    parts['data'] = data_s / repeat
    parts['total'] = step + parts['data']
    return parts


def breakdown_table(config: str, parts: dict) -> str:
    """A Markdown table of the parts that took time: seconds per step and share of the step."""
    lines = [f'| {os.path.basename(config)} | s/step | share |', '|---|---|---|']
    for key, seconds in parts.items():
        if key != 'total' and seconds > 0:
            name = STEP_PARTS.get(key, key)
            lines.append(f'| {name} | {seconds:.4f} | {100 * seconds / parts["total"]:.1f}% |')
    lines.append(f'| total | {parts["total"]:.4f} | 100% |')
    return '\n'.join(lines)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


@torch.no_grad()
def sampling_throughput(model, args, device: str) -> dict:
    """Generative models: images per second and seconds per denoiser step of ``model.sample`` (one warm-up run of
    two steps, then one timed run of ``--sample-num`` images), with the config's sampler and guidance."""
    overrides = {'steps': args.sample_steps} if args.sample_steps else {}
    steps = overrides.get('steps', model.sampling['steps'])
    model.sample(2, generator=torch.Generator().manual_seed(0), steps=2)
    synchronize(device)
    t0 = time.perf_counter()
    model.sample(args.sample_num, generator=torch.Generator().manual_seed(0), **overrides)
    synchronize(device)
    seconds = time.perf_counter() - t0
    return dict(num=args.sample_num, steps=steps, sampler=model.sampling.get('sampler', 'iterative-unmasking'),
                cfg_scale=model.sampling.get('cfg_scale'), seconds=seconds, images_per_s=args.sample_num / seconds,
                s_per_step=seconds / steps)  # fmt: skip


def main() -> None:
    args = parse_args()
    if args.breakdown and args.device.startswith('cuda'):
        # parts timed on the host must wait for their kernels (set before CUDA starts); s/iter is then serialised
        os.environ['CUDA_LAUNCH_BLOCKING'] = '1'
        print('--breakdown on CUDA: CUDA_LAUNCH_BLOCKING=1, so s/iter of this run is without overlap; time the '
              'throughput in a run without --breakdown', flush=True)  # fmt: skip
    cfg = load_program_config(args.config, args.cfg_options)
    if args.batch_size:
        cfg.train_dataloader.batch_size = args.batch_size
    cfg.train_dataloader.setdefault('persistent_workers', False)
    device = args.device
    if args.amp:
        try:
            apply_amp(cfg.optim_wrapper, args.amp, torch.device(device).type)
        except ValueError as e:
            raise SystemExit(str(e)) from None
    elif args.fp32:
        full_precision(cfg.optim_wrapper)
    # the precision the step really runs in: the (possibly config-chosen) wrapper's autocast dtype (GANs: the
    # generator's)
    amp_dtype = autocast_dtype_of(wrapper_entries(cfg.optim_wrapper)[0])
    torch.manual_seed(0)
    model = MODELS.build(cfg.model).to(device).train()
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    loader = Runner.build_dataloader(cfg.train_dataloader, seed=0)
    batch_size = cfg.train_dataloader.batch_size
    if isinstance(model, MaskScheduled):
        model.mask_ratio = args.mask_ratio
    elif isinstance(model, ProgressScheduled):  # the schedule's start, as the first training step sees it
        model.set_progress(0.0, 0)
    compile_cfg = cfg.get('compile', False) or args.compile
    if compile_cfg:  # as MMEngine's Runner does for `compile = True`: torch.compile the whole train_step
        opts = compile_cfg if isinstance(compile_cfg, dict) else {}
        model.train_step = torch.compile(model.train_step, **opts)
    rss_before = peak_rss_mb()
    if device.startswith('cuda'):
        torch.cuda.reset_peak_memory_stats()
    it = iter(loader)

    def next_batch():
        nonlocal it
        try:
            return next(it)
        except StopIteration:
            it = iter(loader)
            return next(it)

    data_times, step_times = [], []
    for i in range(args.warmup + args.repeat):
        synchronize(device)
        t0 = time.perf_counter()
        data = next_batch()
        t1 = time.perf_counter()
        model.train_step(data, optim_wrapper)
        synchronize(device)
        t2 = time.perf_counter()
        if i >= args.warmup:
            data_times.append(t1 - t0)
            step_times.append(t2 - t0)
    flops = count_flops(lambda: model.train_step(next_batch(), optim_wrapper))
    dtype = amp_dtype or torch.float32
    peak = matmul_peak(device, dtype)
    s_iter = sum(step_times) / len(step_times)
    data_share = sum(data_times) / sum(step_times)
    achieved = flops / s_iter
    result = dict(
        config=args.config,
        device=torch.cuda.get_device_name(0) if device.startswith('cuda') else f'cpu ({os.cpu_count()} cores)',
        dtype=str(dtype).replace('torch.', ''),
        batch_size=batch_size,
        warmup=args.warmup,
        repeat=args.repeat,
        mask_ratio=args.mask_ratio if isinstance(model, MaskScheduled) else None,
        s_per_iter=s_iter,
        images_per_s=batch_size / s_iter,
        data_share=data_share,
        compute_share=1 - data_share,
        peak_memory_mb=(torch.cuda.max_memory_allocated() / 2**20) if device.startswith('cuda') else peak_rss_mb(),
        peak_memory_kind='cuda max allocated' if device.startswith('cuda') else 'process peak RSS',
        rss_before_mb=rss_before,
        flops_per_image=flops / batch_size,
        achieved_flops=achieved,
        matmul_peak_flops=peak,
        peak_ratio=achieved / peak,
        params_m=sum(p.numel() for p in model.parameters()) / 1e6,
        torch=torch.__version__,
        python=platform.python_version(),
    )
    row = (f"| {os.path.basename(args.config)} | {result['device']} | {result['dtype']} | {batch_size} | "
           f"{s_iter:.4f} | {result['images_per_s']:.1f} | {100 * data_share:.1f}% | "
           f"{result['peak_memory_mb']:.0f} | {flops / batch_size / 1e9:.3f} | {achieved / 1e9:.1f} | "
           f"{peak / 1e9:.0f} | {100 * result['peak_ratio']:.1f}% |")  # fmt: skip
    result['markdown_row'] = row
    if isinstance(model, LatentPriorFitter) and int(model.prior_count) == 0:  # LMD: fit its prior on one batch
        with torch.no_grad():
            model.fit_latent_prior([model.data_preprocessor(next_batch(), False)['inputs']])
    if args.breakdown:
        result['breakdown'] = step_breakdown(model, optim_wrapper, next_batch, args.repeat, device)
        print(breakdown_table(args.config, result['breakdown']))
    if args.ops:
        batches = iter([next_batch() for _ in range(args.repeat)])  # loaded beforehand: the step's ops only
        result['ops'] = profile_step(lambda: model.train_step(next(batches), optim_wrapper), args.repeat, warmup=0)
        print(ops_table({os.path.basename(args.config): result['ops']}))
    if isinstance(model, Sampler) and not args.no_sampling:
        result['sampling'] = sampling_throughput(model, args, device)
        print(f'sampling: {result["sampling"]}')
    header = ('config', 'device', 'dtype', 'batch', 's/iter', 'img/s', 'data', 'peak MB', 'GFLOP/img', 'GFLOP/s',
              'peak GFLOP/s', 'of peak')  # fmt: skip
    print('| ' + ' | '.join(header) + ' |')
    print('|' + '---|' * len(header))
    print(row)
    if args.out:
        atomic_write(args.out, lambda f: json.dump(result, f, indent=2), mode='w')


if __name__ == '__main__':
    main()
