"""The real-scale commands, unchanged, on an ImageNet-layout rehearsal set with 2 gloo ranks on CPU.

`tools/dist_train.sh configs/lmd/lmd_vitb_in1k.py 2` (SD-VAE of the real sd-vae-ft-mse architecture at 224 px,
28x28x4 latents, ViT-B, Adan) trains, checkpoints, is killed, resumes exactly; `tools/cache_latents.py` builds the
cache with 2 ranks and training runs from it. The same for MDTv2-XL/2 at reduced depth (resumed from a checkpoint
rather than killed: the same code path). Overridden: data root,
projector weights (random, written in diffusers format), iteration counts and picture sizes, and the images per
step (a CPU cannot run 2048: LMD's recipe becomes 4 = 2 ranks x 1 x accumulate 2, exercising the automatic
accumulation).
"""

import json
import os
import os.path as osp
import shutil
import signal
import subprocess
import sys
import time

import pytest
import torch

from lmdkit.datasets.rehearsal import make_imagenet_rehearsal
from lmdkit.fileio import load_from_local_safe

from ..conftest import ROOT

LMD = 'configs/lmd/lmd_vitb_in1k.py'
MDT = 'configs/mdt/mdtv2_xl2_in1k.py'


def write_random_sd_vae(folder: str) -> str:
    """A randomly initialised AutoencoderKL with sd-vae-ft-mse's architecture, saved as diffusers saves it."""
    from diffusers import AutoencoderKL

    torch.manual_seed(0)
    vae = AutoencoderKL(in_channels=3, out_channels=3, down_block_types=('DownEncoderBlock2D',) * 4,
                        up_block_types=('UpDecoderBlock2D',) * 4, block_out_channels=(128, 256, 512, 512),
                        layers_per_block=2, latent_channels=4, norm_num_groups=32, sample_size=256)  # fmt: skip
    vae.save_pretrained(folder)
    return folder


@pytest.fixture(scope='module')
def rehearsal(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('rehearsal')
    info = make_imagenet_rehearsal(str(tmp / 'imagenet'), train_per_class=6, val_per_class=1, num_classes=4)
    return dict(root=info['root'], info=info, vae=write_random_sd_vae(str(tmp / 'sd-vae-ft-mse')), tmp=tmp)


def data_options(r) -> list:
    return [f'{loader}.dataset.data_root={r["root"]}' for loader in ('train_dataloader', 'val_dataloader',
                                                                      'test_dataloader')] + [
        f'model.projector.checkpoint={r["vae"]}'
    ]  # fmt: skip


def env() -> dict:
    return dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS='1', PORT=str(29700 + os.getpid() % 200))


def dist_train(config, work_dir, options, resume=False, background=False):
    """`tools/dist_train.sh CONFIG 2 ...` exactly as a user types it (output in WORK_DIR.log)."""
    cmd = ['bash', 'tools/dist_train.sh', config, '2', '--work-dir', work_dir, *(['--resume'] if resume else []),
           '--cfg-options', *options]  # fmt: skip
    log = open(work_dir + ('.resume' if resume else '') + '.log', 'w')
    proc = subprocess.Popen(cmd, cwd=ROOT, env=dict(env(), PYTHON=sys.executable), stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
    if background:
        return proc
    code = proc.wait(timeout=900)
    with open(log.name) as f:
        text = f.read()
    assert code == 0, first_traceback(text) + '\n[...]\n' + text[-2000:]
    return text


def first_traceback(log: str) -> str:
    """The first rank's traceback in a job log: the root cause, which the other ranks' tracebacks (killed by the
    launcher after it) would otherwise push out of the assertion message."""
    start = log.find('Traceback')
    return log[start : start + 3000] if start >= 0 else ''


def drop_checkpoints(*work_dirs: str) -> None:
    """Delete the checkpoints of finished runs: at XL width with the SD-VAE, EMA and Adan state one checkpoint is
    3 GB, and a CI machine's disk holds only a few."""
    for work_dir in work_dirs:
        for name in os.listdir(work_dir):
            if name.endswith('.pth'):
                os.remove(osp.join(work_dir, name))


def descendants(pid: int) -> list:
    """Every process below ``pid`` (torchrun starts its ranks in sessions of their own, so a process-group kill
    would leave them running)."""
    children = {}
    for entry in os.listdir('/proc'):
        if entry.isdigit():
            try:
                with open(f'/proc/{entry}/stat') as f:
                    ppid = int(f.read().rsplit(')', 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        kids = children.get(todo.pop(), [])
        found += kids
        todo += kids
    return found


def kill_at(config, work_dir, options, checkpoint: str) -> None:
    """Start training, SIGKILL every process of the job (launcher, ranks, data workers) once ``checkpoint`` exists,
    wherever each one is."""
    proc = dist_train(config, work_dir, options, background=True)
    deadline = time.time() + 900
    while not osp.isfile(osp.join(work_dir, checkpoint)) and proc.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    victims = [proc.pid, *descendants(proc.pid)]
    assert len(victims) >= 4, 'the run ended before it could be killed'  # bash, torchrun and two ranks at least
    for pid in victims:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait()
    deadline = time.time() + 30
    while [p for p in victims if running(p)] and time.time() < deadline:
        time.sleep(0.1)
    assert not [p for p in victims if running(p)], 'processes of the killed job survived'


def running(pid: int) -> bool:
    try:
        with open(f'/proc/{pid}/stat') as f:
            return f.read().rsplit(')', 1)[1].split()[0] != 'Z'  # a zombie is dead, only not yet reaped
    except OSError:
        return False


def cache(config, out, options) -> dict:
    cmd = [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node', '2', '--master_port',
           str(29900 + os.getpid() % 90), 'tools/cache_latents.py', config, '--out', out, '--flip',
           '--shard-size', '2', '--batch-size', '2', '--workers', '1', '--launcher', 'pytorch',
           '--cfg-options', *options]  # fmt: skip
    done = subprocess.run(cmd, cwd=ROOT, env=env(), capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    with open(osp.join(out, 'manifest.json')) as f:
        return json.load(f)


def assert_same_weights(a: str, b: str) -> None:
    sa, sb = load_from_local_safe(a)['state_dict'], load_from_local_safe(b)['state_dict']
    assert sa.keys() == sb.keys()
    for key in sa:
        assert torch.equal(sa[key], sb[key]), f'{key} differs from the uninterrupted run'


@pytest.mark.slow
def test_headline_lmd_command_trains_resumes_and_caches(rehearsal):
    r, tmp = rehearsal, str(rehearsal['tmp'])
    # on 2 CPU cores the SD-VAE encoder takes ~5 s per 224-px image: 2 images per rank and step
    opts = data_options(r) + [
        'recipe.batch_size=4',  # images per step (2048 cannot run on a CPU) ...
        'train_dataloader.batch_size=1',  # ... with 1 per rank: 2 ranks x 1 x accumulate 2
        'recipe.epochs=0.6',  # 24 images, 6 steps per epoch: 4 iterations
        'param_scheduler.0.end=0.4',  # warm-up: 2 of the 6 iterations of an epoch
        'train_cfg.val_interval=4',
        'default_hooks.checkpoint.interval=2',
        'default_hooks.logger.interval=1',
        'custom_hooks.ReconstructionVisHook.num_images=1',  # the final reconstruction grid
    ]
    log = dist_train(LMD, f'{tmp}/lmd', opts)
    assert '2 ranks × 1 × accumulate 2 = 4 images/step' in log, log[-3000:]
    assert '0.6 epochs = 4 iterations' in log and 'LinearLR epochs 0–0.4 = iterations 0–2' in log
    for name in ('iter_2.pth', 'iter_4.pth', 'summary.json', 'reconstruction.png'):
        assert osp.isfile(f'{tmp}/lmd/{name}'), name
    summary = json.load(open(f'{tmp}/lmd/summary.json'))
    assert summary['iters'] == 4 and 0 < summary['final_loss'] < float('inf')
    os.remove(f'{tmp}/lmd/iter_2.pth')  # 2.5 GB; only iteration 4 is compared

    kill_at(LMD, f'{tmp}/lmd_killed', opts, 'iter_2.pth')
    assert not osp.isfile(f'{tmp}/lmd_killed/iter_4.pth')
    dist_train(LMD, f'{tmp}/lmd_killed', opts, resume=True)
    assert_same_weights(f'{tmp}/lmd/iter_4.pth', f'{tmp}/lmd_killed/iter_4.pth')
    drop_checkpoints(f'{tmp}/lmd', f'{tmp}/lmd_killed')

    # the latent cache with 2 ranks, of the first 8 images (PNG-named JPEG, truncated, grayscale, CMYK among them)
    manifest = cache(LMD, f'{tmp}/cache', [*data_options(r), 'train_dataloader.dataset.indices=8'])
    assert manifest['ranks'] == 2 and manifest['views'] == 2 and manifest['image_size'] == 224
    assert manifest['rows'] == 7 and len(manifest['shards']) == 4
    skipped = [osp.relpath(s['path'], osp.join(r['root'], 'train')) for s in manifest['skipped']]
    assert skipped == r['info']['odd']['truncated']
    assert manifest['fields']['mean'] == dict(dtype='float16', shape=[4, 28, 28])
    assert manifest['bytes_per_image'] == 2 * 2 * 4 * 28 * 28 * 2
    log = dist_train(
        'configs/lmd/lmd_vitb_in1k_cache.py', f'{tmp}/lmd_cache',
        [*opts, f'train_dataloader.dataset.cache_dir={tmp}/cache'],
    )  # fmt: skip
    assert '0.6 epochs = 2 iterations' in log  # 7 cached images, 4 per step
    assert json.load(open(f'{tmp}/lmd_cache/summary.json'))['iters'] == 2
    drop_checkpoints(f'{tmp}/lmd_cache')


@pytest.mark.slow
def test_mdtv2_xl_at_reduced_depth_trains_resumes_and_caches(rehearsal):
    r, tmp = rehearsal, str(rehearsal['tmp'])
    opts = data_options(r) + [
        'model.denoiser.depth=3',  # XL width (1152), 2 encoder blocks + 1 decoder block
        'model.denoiser.decode_layers=1',
        'model.sampling.steps=2',  # the final sample grid: 2 steps, one class
        'custom_hooks.SampleVisHook.classes=[0]',
        'recipe.batch_size=2',
        'train_dataloader.batch_size=1',  # 2 ranks x 1
        'train_cfg.max_iters=2',
        'train_cfg.val_interval=2',
        'default_hooks.logger.interval=1',
    ]
    log = dist_train(MDT, f'{tmp}/mdt', [*opts, 'default_hooks.checkpoint.interval=1'])
    assert '2 ranks × 1 × accumulate 1 = 2 images/step' in log, log[-3000:]
    assert osp.isfile(f'{tmp}/mdt/iter_2.pth') and osp.isfile(f'{tmp}/mdt/samples.png')
    # resume from the iteration-1 checkpoint (the kill itself is tested above with LMD: same code path)
    os.makedirs(f'{tmp}/mdt_resumed')
    shutil.move(f'{tmp}/mdt/iter_1.pth', f'{tmp}/mdt_resumed/iter_1.pth')
    dist_train(MDT, f'{tmp}/mdt_resumed', opts, resume=True)
    assert_same_weights(f'{tmp}/mdt/iter_2.pth', f'{tmp}/mdt_resumed/iter_2.pth')
    drop_checkpoints(f'{tmp}/mdt', f'{tmp}/mdt_resumed')

    manifest = cache(MDT, f'{tmp}/mdt_cache', [*data_options(r), 'train_dataloader.dataset.indices=4'])
    assert manifest['image_size'] == 256 and manifest['fields']['mean']['shape'] == [4, 32, 32]
    dist_train('configs/mdt/mdtv2_xl2_in1k_cache.py', f'{tmp}/mdt_from_cache',
               [*opts, f'train_dataloader.dataset.cache_dir={tmp}/mdt_cache'])  # fmt: skip
    assert osp.isfile(f'{tmp}/mdt_from_cache/iter_2.pth')
    drop_checkpoints(f'{tmp}/mdt_from_cache')
