"""What a config needs before it can train (a dataset, a projector or pretrained checkpoint, a latent cache), how
each is made, and the steps that make the missing ones, in order.

A config names its needs in ``prerequisites``, a dict of named entries; each names the config key whose value is
the path (so ``--cfg-options`` overrides are honoured) and how the path is made::

    prerequisites = dict(
        train_cache=dict(
            key='train_dataloader.dataset.cache_dir',   # the config value naming the path
            file='manifest.json',                       # optional: what must exist inside it
            command='python tools/cache_latents.py configs/lmd/lmd_vitp_vqf4-fmnist_cos.py --out {path} --flip',
            config='configs/lmd/lmd_vitp_vqf4-fmnist_cos.py',  # the command's config: its own needs come first
            minutes=3,                                  # measured on the 2-core CPU machine
        ),
        pretrained=dict(key='model.backbone.init_cfg.checkpoint', train='configs/lmd/x.py', minutes=40),
    )

``train=CONFIG`` makes the path by training CONFIG into the path's folder (resumable); ``command`` runs a command
(``{path}`` is the path; ``root=True`` when it needs root, e.g. ``apt-get``); ``manual`` is text for a step only a
person can do (fetching released weights). An entry set to ``None`` removes one a base config declared; an entry
whose key an override removed (or set to None) does not apply.
"""

import os
import os.path as osp
import shlex
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any, Callable, List, Optional, Sequence, Union

from mmengine.config import Config

from ..fileio import resolve_path
from ..utils.config_check import load_config

SPEC_KEYS = {'key', 'file', 'train', 'command', 'config', 'root', 'manual', 'minutes'}
_MISSING = object()


class PrerequisiteError(ValueError):
    """A ``prerequisites`` entry that cannot be read (names the entry and the fix)."""


class MissingPrerequisiteError(FileNotFoundError):
    """A config's prerequisite does not exist; the message lists each with the commands that make it."""

    def __init__(self, config: str, missing: Sequence['Prerequisite']) -> None:
        lines = [f'{config} needs {len(missing)} thing(s) that do not exist yet:']
        for p in missing:
            lines.append(f'  - {p.name}: {p.path} (config key {p.key})')
            lines += [f'      {c}' for c in p.commands()]
        lines.append(f'Make them all, in order and resumably: python tools/prepare.py {config}')
        super().__init__('\n'.join(lines))
        self.missing = list(missing)


def config_value(cfg: Union[Config, dict], key: str) -> Any:
    """The value at a dotted key (list items by index, e.g. ``custom_hooks.3.interval``); ``_MISSING`` if absent."""
    node: Any = cfg
    for part in key.split('.'):
        if isinstance(node, (list, tuple)) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, (dict, Config)) and part in node:
            node = node[part]
        else:
            return _MISSING
    return node


@dataclass
class Prerequisite:
    """One thing a config needs: where it is, and how it is made."""

    name: str
    key: str
    path: str
    file: Optional[str] = None
    train: Optional[str] = None
    command: Optional[str] = None
    config: Optional[str] = None
    root: bool = False
    manual: Optional[str] = None
    minutes: Optional[float] = None

    @property
    def target(self) -> str:
        """The file or folder whose existence means done (``lmdkit://`` resolved)."""
        path = resolve_path(self.path)
        return osp.join(path, self.file) if self.file else path

    def exists(self) -> bool:
        return osp.exists(self.target)

    @property
    def source_config(self) -> Optional[str]:
        """The config the making step runs with: its own prerequisites come first."""
        return self.train or self.config

    def argv(self) -> Optional[List[str]]:
        """The command that makes the path (``python`` is this interpreter); None for a manual step."""
        path = resolve_path(self.path)
        if self.train:
            return [sys.executable, 'tools/train.py', self.train, '--work-dir', osp.dirname(path), '--resume']
        if self.command:  # {path} is replaced in each word: a path with spaces stays one argument
            argv = [word.replace('{path}', path) for word in shlex.split(self.command)]
            return [sys.executable, *argv[1:]] if argv[0] == 'python' else argv
        return None

    def commands(self) -> List[str]:
        """What to type to make it, for error messages."""
        if self.manual:
            return [self.manual]
        argv = self.argv()
        shown = ['python', *argv[1:]] if argv[0] == sys.executable else argv
        line = ' '.join(shlex.quote(a) for a in shown)
        return [('sudo ' if self.root and os.geteuid() != 0 else '') + line]


def prerequisites_of(cfg: Config, strict: bool = False) -> List[Prerequisite]:
    """The config's ``prerequisites`` entries, checked. An entry whose key is absent from the config does not apply
    (an override replaced that part, e.g. the dataset); ``strict`` makes it an error (the config test's check that
    every shipped entry names a real key)."""
    specs = cfg.get('prerequisites') or {}
    if not isinstance(specs, dict):
        raise PrerequisiteError(f'prerequisites must be a dict of named entries, got {type(specs).__name__}')
    found = []
    for name, spec in specs.items():
        if spec is None:  # removed by a derived config
            continue
        where = f'prerequisites.{name}'
        if not isinstance(spec, dict) or 'key' not in spec:
            raise PrerequisiteError(f'{where} must be a dict with at least `key` (the config key naming the path)')
        unknown = sorted(set(spec) - SPEC_KEYS)
        if unknown:
            raise PrerequisiteError(f'{where}: unknown field(s) {unknown}; known: {sorted(SPEC_KEYS)}')
        makers = [k for k in ('train', 'command', 'manual') if spec.get(k)]
        if len(makers) != 1:
            raise PrerequisiteError(f'{where} must say how it is made with exactly one of train, command, manual '
                                    f'(found {makers or "none"})')  # fmt: skip
        path = config_value(cfg, spec['key'])
        if (path is _MISSING or path in (None, '')) and not strict:
            continue  # an override removed that part (or set it to None, e.g. a projector without weights)
        if path is _MISSING or not isinstance(path, str) or not path:
            value = None if path is _MISSING else path
            raise PrerequisiteError(f'{where}.key = {spec["key"]!r} does not name a path in this config (value: '
                                    f'{value!r}); fix the key or set {where}=None')  # fmt: skip
        found.append(Prerequisite(name=name, path=path, **{k: v for k, v in spec.items()}))
    return found


def missing_prerequisites(cfg: Config) -> List[Prerequisite]:
    return [p for p in prerequisites_of(cfg) if not p.exists()]


def check_prerequisites(cfg: Config, config_name: str) -> None:
    """Raise ``MissingPrerequisiteError`` (with the commands that make them) when something the config needs is
    missing."""
    missing = missing_prerequisites(cfg)
    if missing:
        raise MissingPrerequisiteError(config_name, missing)


def plan_steps(config: str, cfg_options: Optional[dict] = None) -> List[Prerequisite]:
    """The missing prerequisites of ``config`` and, first, those of the configs that make them: an ordered list
    without repeats (one step per target). A chain that leads back to a config already being planned is refused."""
    steps: List[Prerequisite] = []
    seen = set()

    def visit(path: str, options: Optional[dict], chain: List[str]) -> None:
        if path in chain:
            raise PrerequisiteError('prerequisites form a cycle: ' + ' -> '.join([*chain, path]))
        cfg = load_config(path, options)
        for p in missing_prerequisites(cfg):
            if p.target in seen:
                continue
            if p.source_config:
                visit(p.source_config, None, [*chain, path])
            seen.add(p.target)
            steps.append(p)

    visit(config, cfg_options, [])
    return steps


def _minutes(value: Optional[float]) -> str:
    return f'about {value:g} min' if value else 'time not measured'


def describe_plan(steps: Sequence[Prerequisite]) -> str:
    """The steps as numbered lines with their commands and measured times."""
    total = sum(p.minutes or 0 for p in steps)
    unmeasured = sum(not p.minutes for p in steps)
    if not total:
        head = 'time not measured'
    else:
        head = f'{_minutes(total)} on the 2-core CPU they were measured on'
        head += f' (+ {unmeasured} step(s) not measured)' if unmeasured else ''
    lines = [f'{len(steps)} step(s), {head}:']
    for i, p in enumerate(steps, 1):
        lines.append(f'  [{i}/{len(steps)}] {p.name} -> {p.target} ({_minutes(p.minutes)})')
        lines += [f'        {c}' for c in p.commands()]
    return '\n'.join(lines)


def run_child(argv: List[str]) -> int:
    """Run a step to its end. Ctrl-C reaches the child from the terminal (a training step then saves a checkpoint
    and exits 130): keep waiting for it rather than killing it. SIGTERM is passed on, so no step outlives us."""
    child = subprocess.Popen(argv)
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: child.send_signal(signum))
    try:
        while True:
            try:
                return child.wait()
            except KeyboardInterrupt:
                continue
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_steps(
    steps: Sequence[Prerequisite],
    run: Callable[[List[str]], int] = run_child,
    log: Callable[[str], None] = lambda s: print(s, flush=True),
) -> None:
    """Make each step's path in order: a training step resumes from its work dir's latest checkpoint, a latent
    cache keeps its finished shards, so an interrupted ``prepare`` picks up where it stopped. Stops at the first
    manual step, root step without root, failure, or step that ran without making its path."""
    start = time.monotonic()
    for i, p in enumerate(steps, 1):
        if p.exists():  # made by an earlier step (e.g. two caches from one command)
            log(f'[{i}/{len(steps)}] {p.name}: {p.target} exists')
            continue
        if p.manual:
            raise SystemExit(f'[{i}/{len(steps)}] {p.name} is a manual step: {p.manual}\nThen rerun prepare.')
        if p.root and os.geteuid() != 0:
            raise SystemExit(f'[{i}/{len(steps)}] {p.name} needs root: run `{p.commands()[0]}`, then rerun prepare.')
        left = sum(q.minutes or 0 for q in steps[i - 1 :])
        log(f'[{i}/{len(steps)}] {p.name}: {_minutes(p.minutes)} ({_minutes(left)} left in all; '
            f'{(time.monotonic() - start) / 60:.1f} min so far)\n    {p.commands()[0]}')  # fmt: skip
        code = run(p.argv())
        if code in (130, -signal.SIGINT):  # tools/train.py exits 130; a tool without a handler dies of SIGINT
            raise SystemExit(f'[{i}/{len(steps)}] {p.name} was interrupted; rerun prepare to go on from where it '
                             'stopped (training steps resume from their latest checkpoint).')  # fmt: skip
        if code != 0:
            raise SystemExit(f'[{i}/{len(steps)}] {p.name} failed (exit {code}); fix it and rerun prepare: finished '
                             'steps are kept and training steps resume.')  # fmt: skip
        if not p.exists():
            raise SystemExit(f'[{i}/{len(steps)}] {p.name} ran but {p.target} does not exist: the entry\'s `key` '
                             'and its making step disagree (e.g. an iteration the config does not reach)')  # fmt: skip
    log(f'prepared: {len(steps)} step(s) in {(time.monotonic() - start) / 60:.1f} min')
