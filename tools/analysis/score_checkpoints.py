"""Score every checkpoint of finished generative runs: samples (tools/sample.py) then FID and class consistency
(tools/eval_gen.py), merged into each run's summary.json under ``generative.<net>.iter_N`` — what
tools/analysis/plot_gen_metric.py draws against training time and tools/ablate.py tabulates. Resumable: a checkpoint
already scored with this feature network is skipped. A run without summary.json (still training) is skipped whole; a
run cut short is scored, and its scores survive its resumption (TrainRecordHook keeps them).

    python tools/analysis/score_checkpoints.py RUN [RUN ...] --classifier CONFIG CHECKPOINT \
        [--ref configs/_base_/datasets/fmnist.py] [--num 300] [--steps 25] [--amp] [--dry-run] [-- SAMPLE_ARGS ...]
    # text-to-image on captioned Fashion-MNIST: samples from the test prompts, scored for their attributes too
    python tools/analysis/score_checkpoints.py RUN ... --classifier CONFIG CHECKPOINT --ref data/fmnist_captions/test \
        --attributes data/fmnist_captions -- --prompts data/fmnist_captions/test/captions.jsonl

RUN is a work dir with the run's config (the ``<name>.py`` tools/ablate.py writes, or the one config file there)
and its ``iter_N.pth`` checkpoints. Arguments after ``--`` go to tools/sample.py (e.g. ``--cfg-scale 2``).
"""

import argparse
import glob
import json
import os.path as osp
import re
import subprocess
import sys
from typing import List, Sequence

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def run_config(run: str) -> str:
    """The run's config file: ``<run name>.py`` in it, else its only ``.py`` file."""
    named = osp.join(run, osp.basename(osp.normpath(run)) + '.py')
    if osp.isfile(named):
        return named
    found = glob.glob(osp.join(run, '*.py'))
    if len(found) != 1:
        raise SystemExit(f'{run}: expected {named} or exactly one config .py, found {len(found)}')
    return found[0]


def checkpoints(run: str) -> List[str]:
    """``iter_N.pth`` files of the run, by N."""
    found = [p for p in glob.glob(osp.join(run, 'iter_*.pth')) if re.fullmatch(r'iter_\d+\.pth', osp.basename(p))]
    return sorted(found, key=lambda p: int(re.findall(r'\d+', osp.basename(p))[0]))


def scored(run: str, net: str, attributes: bool = False) -> set:
    """Tags already merged into the run's summary for feature network ``net`` (with ``attributes``: those with
    attribute consistency too)."""
    path = osp.join(run, 'summary.json')
    if not osp.isfile(path):
        return set()
    with open(path) as f:
        results = json.load(f).get('generative', {}).get(net, {})
    return {tag for tag, r in results.items() if not attributes or 'attribute_consistency' in r}


def commands(run: str, ckpt: str, args: argparse.Namespace, sample_args: Sequence[str]) -> List[List[str]]:
    tag = osp.splitext(osp.basename(ckpt))[0]
    out = osp.join(run, 'samples', tag)
    sample = [sys.executable, osp.join(ROOT, 'tools', 'sample.py'), run_config(run), ckpt, '--num', str(args.num),
              '--steps', str(args.steps), '--batch-size', str(args.batch_size), '--out', out]  # fmt: skip
    if args.amp:
        sample.append('--amp')
    evaluate = [sys.executable, osp.join(ROOT, 'tools', 'eval_gen.py'), osp.join(out, 'samples.npz'), '--ref',
                args.ref, '--classifier', *args.classifier, '--work-dir', run, '--tag', tag]  # fmt: skip
    if args.attributes:
        evaluate += ['--attributes', args.attributes]
    return [sample + list(sample_args), evaluate]


def main() -> None:
    argv = sys.argv[1:]
    sample_args = argv[argv.index('--') + 1 :] if '--' in argv else []
    argv = argv[: argv.index('--')] if '--' in argv else argv
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('runs', nargs='+')
    parser.add_argument('--classifier', nargs=2, required=True, metavar=('CONFIG', 'CHECKPOINT'))
    parser.add_argument('--ref', default='configs/_base_/datasets/fmnist.py', help='reference set (eval_gen.py)')
    parser.add_argument('--num', type=int, default=300, help='samples per checkpoint')
    parser.add_argument('--steps', type=int, default=25, help='sampler steps')
    parser.add_argument('--batch-size', type=int, default=100)
    parser.add_argument('--amp', action='store_true', help='sample with bf16 networks (sample.py --amp)')
    parser.add_argument(
        '--attributes',
        metavar='DIR',
        help='captioned Fashion-MNIST folder: attribute consistency '
        '(eval_gen.py --attributes; sample with -- --prompts FILE)',
    )
    parser.add_argument('--last', type=int, help="only each run's last N checkpoints")
    parser.add_argument('--dry-run', action='store_true', help='print the commands only')
    args = parser.parse_args(argv)
    if args.attributes and '--prompts' not in sample_args:
        parser.error('--attributes scores samples against their prompts: sample from them (-- --prompts FILE)')
    net = osp.splitext(osp.basename(args.classifier[0]))[0]  # eval_gen.py's default name of the feature network
    todo = []
    for run in args.runs:
        if not osp.isfile(osp.join(run, 'summary.json')):
            print(f'{run}: not finished (no summary.json), skipped', flush=True)
            continue
        done = scored(run, net, bool(args.attributes))
        ckpts = checkpoints(run)[-args.last :] if args.last else checkpoints(run)
        # (steps from the end, run order, ckpt): every run's final checkpoint first, so that a session cut short
        # still has the equal-time comparison
        todo += [(len(ckpts) - i, len(todo), run, c) for i, c in enumerate(ckpts)
                 if osp.splitext(osp.basename(c))[0] not in done]  # fmt: skip
    todo = [(run, ckpt) for *_, run, ckpt in sorted(todo)]
    print(f'{len(todo)} checkpoint(s) to score with {net} (final ones first)', flush=True)
    for i, (run, ckpt) in enumerate(todo, 1):
        print(f'[{i}/{len(todo)}] {ckpt}', flush=True)
        for cmd in commands(run, ckpt, args, sample_args):
            print('  ' + ' '.join(cmd), flush=True)
            if not args.dry_run:
                subprocess.run(cmd, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)


if __name__ == '__main__':
    main()
