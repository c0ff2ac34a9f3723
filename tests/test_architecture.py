"""The layer order (docs/architecture.md) holds: every module imports only from layers below its own, and importing
any lmdkit module changes no state outside lmdkit's own registries."""

import ast
import json
import pathlib
import subprocess
import sys
import textwrap

from .conftest import ROOT

PACKAGE = pathlib.Path(ROOT) / 'lmdkit'

#: what each part of the package may import from lmdkit (besides itself). Bottom to top: registry, version and
#: utils; fileio; diffusion, datasets, models (models use diffusion); evaluation; engine; apis. visualization is a
#: leaf beside them: it imports only utils, and hooks, apis and tools use it.
BOTTOM = {'registry', 'version', 'utils'}
ALLOWED = {
    'registry': set(),
    'version': set(),
    'utils': {'registry', 'version'},
    'visualization': {'utils'},
    'fileio': BOTTOM,
    'diffusion': BOTTOM | {'fileio'},
    'datasets': BOTTOM | {'fileio'},
    'models': BOTTOM | {'fileio', 'diffusion'},
    'evaluation': BOTTOM | {'fileio', 'diffusion', 'datasets', 'models'},
    'engine': BOTTOM | {'fileio', 'diffusion', 'datasets', 'models', 'evaluation', 'visualization'},
    'apis': BOTTOM | {'fileio', 'diffusion', 'datasets', 'models', 'evaluation', 'engine', 'visualization'},
    '__init__': {'version'},
}


def _part(module: str) -> str:
    """'lmdkit.models.backbones.dit' -> 'models'; 'lmdkit' -> '__init__'; 'lmdkit.version' -> 'version'."""
    parts = module.split('.')
    return parts[1] if len(parts) > 1 else '__init__'


def _from_imports(path: pathlib.Path, module: str):
    """(node, absolute module it imports from) for every ``from … import`` in the file, at any depth."""
    package = module if path.name == '__init__.py' else module.rsplit('.', 1)[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ''
            if node.level:
                anchor = package.split('.')[: len(package.split('.')) - node.level + 1]
                base = '.'.join(anchor + ([base] if base else []))
            yield node, base


def _imports(path: pathlib.Path, module: str):
    """(imported lmdkit module, line) for every import in the file, at any depth (late imports count too)."""
    plain = [n for n in ast.walk(ast.parse(path.read_text(), str(path))) if isinstance(n, ast.Import)]
    froms = list(_from_imports(path, module))
    for node, base in [*((n, None) for n in plain), *froms]:
        if base is None:
            names = [a.name for a in node.names]
        else:
            # `from lmdkit import registry` imports a submodule: count it as that module
            names = [f'{base}.{a.name}' if base == 'lmdkit' else base for a in node.names]
        for name in names:
            if name == 'lmdkit' or name.startswith('lmdkit.'):
                yield name, node.lineno


def _modules():
    for path in sorted(PACKAGE.rglob('*.py')):
        rel = path.relative_to(PACKAGE.parent).with_suffix('')
        if rel.parts[1:2] == ('pretrained',):  # shipped model folders: data, not code
            continue
        parts = rel.parts[:-1] if rel.name == '__init__' else rel.parts
        yield path, '.'.join(parts)


def _scripts():
    """The Python files outside the package that import it; their relative imports stay outside lmdkit."""
    for folder in ('tools', 'tests', 'configs'):
        for path in sorted(pathlib.Path(ROOT, folder).rglob('*.py')):
            yield path, 'tools.x'


def test_every_module_imports_only_downward():
    upward = []
    for path, module in _modules():
        own = _part(module)
        assert own in ALLOWED, f'{module}: part {own!r} has no place in the layer order (tests/test_architecture.py)'
        for imported, line in _imports(path, module):
            target = _part(imported)
            if target != own and target not in ALLOWED[own]:
                upward.append(f'{path.relative_to(ROOT)}:{line} ({own}) imports {imported} ({target})')
    assert not upward, 'imports against the layer order (docs/architecture.md):\n' + '\n'.join(upward)


def test_every_imported_lmdkit_module_exists():
    """Late imports run only on their code path: a module that moved must not leave one behind."""
    missing = []
    for path, module in [*_modules(), *_scripts()]:
        for imported, line in _imports(path, module):
            where = PACKAGE.parent.joinpath(*imported.split('.'))
            if not (where.with_suffix('.py').is_file() or (where / '__init__.py').is_file()):
                missing.append(f'{path.relative_to(ROOT)}:{line} imports {imported}, which does not exist')
    assert not missing, '\n'.join(missing)


def _module_file(module: str):
    where = PACKAGE.parent.joinpath(*module.split('.'))
    for path in (where.with_suffix('.py'), where / '__init__.py'):
        if path.is_file():
            return path
    return None


def _defined_names(path: pathlib.Path) -> set:
    """Names a module defines at its top level: functions, classes, assignments and what it imports."""
    names = set()
    for node in ast.parse(path.read_text(), str(path)).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split('.')[0] for a in node.names}
    return names


def test_every_name_imported_from_lmdkit_exists():
    """`from lmdkit.x import name`: ``name`` is defined in ``lmdkit.x`` or is a submodule of it (a moved function
    leaves no dangling late import behind)."""
    missing = []
    for path, module in [*_modules(), *_scripts()]:
        for node, base in _from_imports(path, module):
            source = _module_file(base) if base.startswith('lmdkit') else None
            if source is None:
                continue  # a module that does not exist: the test above names it
            defined = _defined_names(source)
            for alias in node.names:
                if alias.name not in defined and _module_file(f'{base}.{alias.name}') is None:
                    missing.append(f'{path.relative_to(ROOT)}:{node.lineno} imports {alias.name} from {base}')
    assert not missing, 'names that do not exist where they are imported from:\n' + '\n'.join(missing)


def test_the_check_sees_relative_and_late_imports(tmp_path):
    """The scanner itself: a late relative import two levels up is found and attributed to its layer."""
    path = tmp_path / 'masked_diffusion.py'
    path.write_text('def f():\n    from ...engine import hooks\n    from lmdkit import apis\n')
    found = sorted(_part(m) for m, _ in _imports(path, 'lmdkit.models.algorithms.masked_diffusion'))
    assert found == ['apis', 'engine']


_STATE = textwrap.dedent(
    """
    import json, logging, os, random, signal, sys, warnings
    import matplotlib
    import mmengine.fileio.backends.registry_utils as backends
    import mmengine.registry as mmreg
    import numpy as np
    import torch
    from mmengine.logging import MessageHub, MMLogger
    from mmengine.registry import DefaultScope
    from mmengine.runner.checkpoint import CheckpointLoader

    def state():
        # lmdkit's classes in MMEngine's root registries (MMEngine's own modules register theirs when imported)
        roots = {n: sorted(k for k, v in r.module_dict.items() if getattr(v, '__module__', '').startswith('lmdkit'))
                 for n, r in vars(mmreg).items() if isinstance(r, mmreg.Registry)}
        return dict(
            checkpoint_loaders={k: f'{v.__module__}.{v.__qualname__}' for k, v in CheckpointLoader._schemes.items()},
            file_backends={k: f'{v.__module__}.{v.__qualname__}' for k, v in backends.backends.items()},
            default_scope=getattr(DefaultScope.get_current_instance(), 'scope_name', None),
            mmengine_root_registries=roots,
            loggers=sorted(MMLogger._instance_dict), message_hubs=sorted(MessageHub._instance_dict),
            matplotlib_backend=str(dict.__getitem__(matplotlib.rcParams, 'backend')),
            pyplot='matplotlib.pyplot' in sys.modules,
            torch=[str(torch.get_default_dtype()), torch.are_deterministic_algorithms_enabled(),
                   torch.get_float32_matmul_precision(), torch.backends.cudnn.benchmark, torch.get_num_threads(),
                   torch.is_grad_enabled(), torch.random.get_rng_state().sum().item()],
            numpy_rng=int(np.random.get_state()[1].sum()), numpy_err=np.geterr(), python_rng=hash(random.getstate()),
            warnings=[repr(f) for f in warnings.filters],
            logging=[logging.getLogger().level, [repr(h) for h in logging.getLogger().handlers]],
            signals=[repr(signal.getsignal(s)) for s in (signal.SIGINT, signal.SIGTERM)],
            excepthook=repr(sys.excepthook), path=list(sys.path), environ=dict(os.environ),
        )
    """
)


def _run(code: str) -> dict:
    out = subprocess.run([sys.executable, '-c', code], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_importing_any_module_changes_no_global_state():
    modules = [m for _, m in _modules()]
    code = _STATE + textwrap.dedent(
        f"""
        import importlib
        before = state()
        for name in {modules!r}:
            importlib.import_module(name)
        after = state()
        print(json.dumps(dict(before=before, after=after, modules=len({modules!r})), default=str))
        """
    )
    result = _run(code)
    assert result['modules'] > 100  # the walk found the package
    changed = {k: (result['before'][k], result['after'][k]) for k in result['before']
               if result['before'][k] != result['after'][k]}  # fmt: skip
    assert not changed, f'importing lmdkit changed global state: {json.dumps(changed, indent=1)[:3000]}'


def test_importing_the_models_loads_no_engine_hooks_or_matplotlib():
    code = textwrap.dedent(
        """
        import json, sys
        import lmdkit.models
        print(json.dumps(sorted(m for m in sys.modules if m.startswith(('lmdkit.engine', 'lmdkit.apis',
              'lmdkit.evaluation', 'lmdkit.visualization', 'matplotlib')))))
        """
    )
    assert _run(code) == []


def test_register_all_modules_is_where_mmengine_is_set_up():
    code = _STATE + textwrap.dedent(
        """
        from lmdkit.apis import register_all_modules
        before = state()
        register_all_modules()
        after = state()
        try:
            from lmdkit.utils import register_all_modules as old
        except ImportError as e:
            moved = str(e)
        print(json.dumps(dict(before=before, after=after, moved=moved), default=str))
        """
    )
    result = _run(code)
    before, after = result['before'], result['after']
    assert before['checkpoint_loaders'][''] == 'mmengine.runner.checkpoint.load_from_local'
    assert after['checkpoint_loaders'][''] == 'lmdkit.fileio.safe_load.load_from_local_safe'
    assert after['file_backends']['atomic_local'] == 'lmdkit.engine.checkpoint.AtomicLocalBackend'
    assert 'atomic_local' not in before['file_backends']
    assert before['default_scope'] is None and after['default_scope'] == 'lmdkit'
    assert 'lmdkit.apis.register_all_modules' in result['moved']


def test_the_tests_mirror_the_package():
    """Each lmdkit package has its test folder (``lmdkit/engine`` → ``tests/test_engine``), and each test folder
    names a package, ``tools`` or a top-level module, so a newcomer finds a component's tests by its path."""
    root = pathlib.Path(ROOT)
    packages = {p.name for p in (root / 'lmdkit').iterdir() if (p / '__init__.py').is_file()}
    folders = {p.name[len('test_') :] for p in (root / 'tests').glob('test_*') if p.is_dir()}
    assert packages <= folders, f'packages without a tests/test_<package> folder: {sorted(packages - folders)}'
    assert folders <= packages | {'tools'}, f'test folders named after no package: {sorted(folders - packages)}'
    modules = {p.stem for p in (root / 'lmdkit').glob('*.py')} - {'__init__'}
    files = {p.stem[len('test_') :] for p in (root / 'tests').glob('test_*.py')}
    assert files <= modules | {'architecture', 'configs'}, f'top-level tests named after no module: {files - modules}'
