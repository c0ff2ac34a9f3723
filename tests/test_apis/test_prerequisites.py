"""Config prerequisites: parsing, the missing-file error, the ordered plan across configs, running the steps, and
tools/prepare.py end to end (marked slow)."""

import os
import os.path as osp
import subprocess
import sys

import pytest
from mmengine.config import Config

from lmdkit.apis.prerequisites import (
    MissingPrerequisiteError,
    PrerequisiteError,
    check_prerequisites,
    describe_plan,
    plan_steps,
    prerequisites_of,
    run_steps,
)
from lmdkit.fileio import PACKAGE_SCHEME, resolve_path

from ..conftest import ROOT


def write(path, text: str) -> str:
    path.write_text(text)
    return str(path)


def test_entries_name_their_path_by_config_key_and_overrides_are_followed(tmp_path):
    cfg = Config(
        dict(
            model=dict(backbone=dict(init_cfg=dict(checkpoint=str(tmp_path / 'pre' / 'iter_4.pth')))),
            prerequisites=dict(
                pretrained=dict(key='model.backbone.init_cfg.checkpoint', train='configs/x.py', minutes=3),
                removed=None,
            ),
        )
    )
    (found,) = prerequisites_of(cfg)
    assert (found.name, found.path, found.minutes) == ('pretrained', str(tmp_path / 'pre' / 'iter_4.pth'), 3)
    assert not found.exists()
    # the command trains the making config into the path's folder and resumes there
    assert found.argv()[1:] == ['tools/train.py', 'configs/x.py', '--work-dir', str(tmp_path / 'pre'), '--resume']
    with pytest.raises(MissingPrerequisiteError) as info:
        check_prerequisites(cfg, 'configs/y.py')
    message = str(info.value)
    assert 'model.backbone.init_cfg.checkpoint' in message and str(tmp_path / 'pre' / 'iter_4.pth') in message
    assert f'python tools/train.py configs/x.py --work-dir {tmp_path / "pre"} --resume' in message
    assert 'python tools/prepare.py configs/y.py' in message
    # an override moves the path: the check follows it
    (tmp_path / 'mine.pth').write_bytes(b'x')
    cfg.merge_from_dict({'model.backbone.init_cfg.checkpoint': str(tmp_path / 'mine.pth')})
    check_prerequisites(cfg, 'configs/y.py')


def test_a_key_an_override_removed_does_not_apply_but_strict_parsing_refuses_it():
    cfg = Config(dict(prerequisites=dict(cache=dict(key='train_dataloader.dataset.cache_dir', command='python t.py'))))
    assert prerequisites_of(cfg) == []
    cfg.merge_from_dict({'train_dataloader.dataset.cache_dir': None})  # set to None: not needed either
    assert prerequisites_of(cfg) == []
    with pytest.raises(PrerequisiteError, match=r"prerequisites.cache.key = 'train_dataloader.dataset.cache_dir'"):
        prerequisites_of(cfg, strict=True)


@pytest.mark.parametrize(
    'spec, match',
    [
        (dict(key='a', train='x.py', comand='y'), r"unknown field\(s\) \['comand'\]"),
        (dict(key='a', train='x.py', command='y'), 'exactly one of train, command, manual'),
        (dict(key='a'), 'exactly one of train, command, manual'),
        (dict(train='x.py'), 'at least `key`'),
        (dict(key='n', command='y'), 'does not name a path'),
    ],
)
def test_malformed_entries_are_refused_naming_the_entry(spec, match):
    cfg = Config(dict(a='some/path', n=3, prerequisites=dict(thing=spec)))
    with pytest.raises(PrerequisiteError, match=match):
        prerequisites_of(cfg)


def test_commands_substitute_the_path_and_use_this_interpreter(tmp_path):
    make = dict(key='cache_dir', file='manifest.json', command='python tools/cache.py A --out {path}')
    cache = tmp_path / 'my cache'  # a space: still one argument
    cfg = Config(dict(cache_dir=str(cache), prerequisites=dict(c=make)))
    (p,) = prerequisites_of(cfg)
    assert p.target == str(cache / 'manifest.json')
    assert p.argv() == [sys.executable, 'tools/cache.py', 'A', '--out', str(cache)]
    assert p.commands() == [f"python tools/cache.py A --out '{cache}'"]
    os.makedirs(cache)
    assert not p.exists()  # the folder alone is not done: the manifest is written last
    (cache / 'manifest.json').write_text('{}')
    assert p.exists()


def test_package_paths_resolve_inside_the_installed_package():
    assert resolve_path(PACKAGE_SCHEME + 'fileio/paths.py') == osp.join(ROOT, 'lmdkit', 'fileio', 'paths.py')
    assert resolve_path('work_dirs/x.pth') == 'work_dirs/x.pth'


def _chain(tmp_path):
    """final.py needs a checkpoint trained by mid.py, which needs a cache made by a command run with src.py."""
    cache, ckpt = tmp_path / 'cache', tmp_path / 'mid' / 'iter_2.pth'
    src = write(tmp_path / 'src.py', 'x = 1\n')
    mid = write(tmp_path / 'mid.py', f"""
cache_dir = '{cache}'
prerequisites = dict(cache=dict(key='cache_dir', command='python make_cache.py {{path}}', config='{src}', minutes=1))
""")  # fmt: skip
    final = write(tmp_path / 'final.py', f"""
ckpt = '{ckpt}'
cache_dir = '{cache}'
prerequisites = dict(
    pretrained=dict(key='ckpt', train='{mid}', minutes=5),
    cache=dict(key='cache_dir', command='python make_cache.py {{path}}', config='{src}', minutes=1),
)
""")  # fmt: skip
    return final, mid, cache, ckpt


def test_the_plan_makes_what_the_making_configs_need_first_once_each(tmp_path):
    final, mid, cache, ckpt = _chain(tmp_path)
    steps = plan_steps(final)
    assert [(s.name, s.path) for s in steps] == [('cache', str(cache)), ('pretrained', str(ckpt))]
    text = describe_plan(steps)
    assert '2 step(s), about 6 min' in text and '[2/2] pretrained' in text
    os.makedirs(cache)
    assert [s.name for s in plan_steps(final)] == ['pretrained']  # what exists is not planned


def test_a_cycle_of_prerequisites_is_refused(tmp_path):
    a, b = tmp_path / 'a.py', tmp_path / 'b.py'
    write(a, f"p = '{tmp_path}/x.pth'\nprerequisites = dict(x=dict(key='p', train='{b}'))\n")
    write(b, f"p = '{tmp_path}/y.pth'\nprerequisites = dict(y=dict(key='p', train='{a}'))\n")
    with pytest.raises(PrerequisiteError, match='cycle'):
        plan_steps(str(a))


def test_run_steps_makes_each_in_order_and_stops_on_what_it_cannot_make(tmp_path):
    final, mid, cache, ckpt = _chain(tmp_path)
    ran, log = [], []

    def run(argv):
        ran.append(argv)
        target = argv[-1] if 'make_cache.py' in argv[1] else osp.join(argv[argv.index('--work-dir') + 1], 'iter_2.pth')
        os.makedirs(osp.dirname(target), exist_ok=True)
        open(target, 'w').close()
        return 0

    run_steps(plan_steps(final), run=run, log=log.append)
    assert [a[1] for a in ran] == ['make_cache.py', 'tools/train.py'] and ckpt.exists()
    assert 'prepared: 2 step(s)' in log[-1]
    # a step that exits non-zero, or exits 0 without making its path, stops the run naming the step
    os.remove(ckpt)
    with pytest.raises(SystemExit, match='pretrained failed'):
        run_steps(plan_steps(final), run=lambda argv: 3, log=log.append)
    with pytest.raises(SystemExit, match='does not exist'):
        run_steps(plan_steps(final), run=lambda argv: 0, log=log.append)
    manual = Config(dict(p='/nonexistent/w.pth', prerequisites=dict(w=dict(key='p', manual='Fetch w.pth'))))
    with pytest.raises(SystemExit, match='manual step: Fetch w.pth'):
        run_steps(prerequisites_of(manual), run=run, log=log.append)


def test_an_interrupted_step_is_reported_as_such_and_sigterm_reaches_the_step(tmp_path):
    """A step that ends on Ctrl-C (train.py's 130, or death by SIGINT) is 'interrupted', not 'failed'; a SIGTERM
    to prepare is passed on, so no step outlives it."""
    import signal
    import threading
    import time

    from lmdkit.apis.prerequisites import run_child

    cfg = Config(dict(p=str(tmp_path / 'x.pth'), prerequisites=dict(x=dict(key='p', command='python make.py'))))
    for code in (130, -signal.SIGINT):
        with pytest.raises(SystemExit, match='x was interrupted; rerun prepare'):
            run_steps(prerequisites_of(cfg), run=lambda argv, code=code: code, log=lambda s: None)
    marker = tmp_path / 'got_sigterm'
    child = (f'import signal, sys, time\n'
             f'signal.signal(signal.SIGTERM, lambda *a: (open({str(marker)!r}, "w").close(), sys.exit(143)))\n'
             f'open({str(tmp_path / "started")!r}, "w").close()\n'
             'time.sleep(60)\n')  # fmt: skip
    started = time.time()

    def terminate_us_once_the_child_runs():
        while not (tmp_path / 'started').exists() and time.time() - started < 30:
            time.sleep(0.05)
        os.kill(os.getpid(), signal.SIGTERM)

    previous = signal.signal(signal.SIGTERM, lambda *a: None)  # what prepare's caller would have: we survive it
    try:
        threading.Thread(target=terminate_us_once_the_child_runs, daemon=True).start()
        assert run_child([sys.executable, '-c', child]) == 143
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert marker.exists() and time.time() - started < 30


def tool(*args, check=True):
    env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS='1')
    proc = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    if check:
        assert proc.returncode == 0, f'{args} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}'
    return proc


@pytest.mark.slow
def test_train_names_the_missing_checkpoint_and_prepare_makes_it(tmp_path):
    """Fine-tuning the quick start's encoder needs the quick start's checkpoint: train.py says how to make it,
    prepare.py trains it (here 2 iterations), then the fine-tuning trains."""
    pre = tmp_path / 'pre'
    pretrain = write(tmp_path / 'pretrain.py', f"""
_base_ = ['{ROOT}/configs/lmd/lmd_vitp_fmnist-mini_cos.py']
train_cfg = dict(max_iters=2, val_interval=1000)
train_dataloader = dict(batch_size=8)
""")  # fmt: skip
    finetune = write(tmp_path / 'finetune.py', f"""
_base_ = ['{ROOT}/configs/finetune/vitp_quickstart-pre_fmnist-mini.py']
model = dict(backbone=dict(init_cfg=dict(checkpoint='{pre}/iter_2.pth')))
prerequisites = dict(pretrained=dict(train='{pretrain}', minutes=0.2))
train_cfg = dict(max_iters=2, val_interval=1000)
train_dataloader = dict(batch_size=8)
""")  # fmt: skip
    refused = tool('tools/train.py', finetune, '--work-dir', str(tmp_path / 'ft'), check=False)
    assert refused.returncode == 1
    assert f'{pre}/iter_2.pth (config key model.backbone.init_cfg.checkpoint)' in refused.stderr
    assert f'python tools/prepare.py {finetune}' in refused.stderr
    assert not osp.exists(tmp_path / 'ft')  # refused before anything was written

    dry = tool('tools/prepare.py', finetune, '--dry-run')
    assert '[1/1] pretrained' in dry.stdout and not osp.exists(pre)
    made = tool('tools/prepare.py', finetune)
    assert osp.isfile(pre / 'iter_2.pth'), made.stdout[-2000:]
    assert 'nothing to prepare' in tool('tools/prepare.py', finetune).stdout
    tool('tools/train.py', finetune, '--work-dir', str(tmp_path / 'ft'))
    assert osp.isfile(tmp_path / 'ft' / 'iter_2.pth')
