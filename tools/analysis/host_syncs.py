"""Host syncs per training iteration of a config: how often a CUDA step would wait for the GPU, and where.

    python tools/analysis/host_syncs.py CONFIG [--iters 3] [--warmup 2] [--amp [bf16|fp16]] [--max N] [--out FILE]
        [--cfg-options KEY=VALUE ...]

Runs ``warmup + iters`` real training iterations through the training program of tools/train.py
(``lmdkit.apis.train``: every hook of a real run, the NonFiniteGuardHook included, in a temporary work dir) and
counts, in the measured iterations, the calls that make the host wait for the device: reading values
(``.item()``, ``float(t)``, ``.tolist()``, ``.cpu()``) and ops whose output size depends on the data
(``nonzero``, boolean masks). They are counted on CPU as well, where they cost
nothing, so the audit needs no GPU. Reads of optimiser step counters (host tensors in a CUDA run) are not counted.
Iterations that validate, save or log at an interval are not typical; the warm-up skips lazy first-step work.
With ``--max N`` the exit status is 1 when an iteration has more than N.
"""

import argparse
import json
import os.path as osp
import sys
import tempfile
from typing import Optional

from mmengine.config import DictAction
from mmengine.runner import EpochBasedTrainLoop, IterBasedTrainLoop

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))
from lmdkit.apis import register_all_modules  # noqa: E402
from lmdkit.apis.train import TrainOptions, prepare_config, runner_for  # noqa: E402
from lmdkit.engine import AccumulatingTrainLoop  # noqa: E402
from lmdkit.engine.precision import add_amp_argument  # noqa: E402
from lmdkit.utils.host_syncs import HostSyncCounter, describe  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config')
    parser.add_argument('--iters', type=int, default=3, help='measured iterations')
    parser.add_argument('--warmup', type=int, default=2, help='iterations run first and not counted')
    add_amp_argument(parser)
    parser.add_argument('--max', type=int, help='fail (exit 1) when an iteration has more host syncs than this')
    parser.add_argument('--out', help='JSON file with the per-iteration counts and call sites')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args()


def audit(config: str, iters: int = 3, warmup: int = 2, amp: Optional[str] = None, cfg_options=None) -> list:
    """Train ``warmup + iters`` iterations of ``config``; one :class:`HostSyncCounter` per measured iteration."""
    total = warmup + iters
    never = 10**9
    options = {
        'train_cfg.max_iters': total,
        'train_cfg.val_interval': never,
        'default_hooks.checkpoint.interval': never,
        'default_hooks.checkpoint.save_last': False,
        'default_hooks.logger.interval': never,
        **(cfg_options or {}),
    }
    counters = []
    with tempfile.TemporaryDirectory() as work_dir:
        run = TrainOptions(work_dir=work_dir, amp=amp)
        cfg = prepare_config(config, options, run)
        runner = runner_for(cfg, run)  # the training program tools/train.py runs
        if cfg.train_cfg.get('type', 'IterBasedTrainLoop') not in ('AccumulatingTrainLoop', 'EpochBasedTrainLoop'):
            raise SystemExit(f'{config}: unsupported train loop {cfg.train_cfg.type}')
        originals = {loop: loop.run_iter for loop in (IterBasedTrainLoop, EpochBasedTrainLoop, AccumulatingTrainLoop)}

        def counted(original):
            def run_iter(loop, *a, **kw):
                if runner.iter < warmup:
                    return original(loop, *a, **kw)
                with HostSyncCounter() as counter:
                    result = original(loop, *a, **kw)
                counters.append(counter)
                return result

            return run_iter

        try:
            for loop, original in originals.items():
                loop.run_iter = counted(original)
            runner.train()
        finally:
            for loop, original in originals.items():
                loop.run_iter = original
    return counters


def main() -> None:
    args = parse_args()
    register_all_modules()
    counters = audit(args.config, args.iters, args.warmup, args.amp, args.cfg_options)
    merged = HostSyncCounter()
    for c in counters:
        merged.events.extend(c.events)
    counts = [c.count for c in counters]
    print(f'\n{osp.basename(args.config)}: host syncs per training iteration (after {args.warmup} warm-up): {counts}')
    print('per iteration  what                 call site')
    print(describe(merged, per=len(counters)))
    if args.out:
        with open(args.out, 'w') as f:
            sites = [dict(what=w, site=s, per_iter=n / len(counters)) for (w, s), n in merged.sites().most_common()]
            json.dump(dict(config=args.config, per_iteration=counts, sites=sites), f, indent=2)
    if args.max is not None and max(counts, default=0) > args.max:
        raise SystemExit(1)


if __name__ == '__main__':
    main()
