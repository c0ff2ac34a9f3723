"""Install lmdkit: ``pip install -e .`` (runtime) or ``pip install -e .[tests]``."""
import os.path as osp

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))


def read_requirements(name: str) -> list:
    """Return the requirement lines of ``requirements/<name>.txt`` (comments dropped)."""
    with open(osp.join(HERE, 'requirements', f'{name}.txt')) as f:
        lines = [line.split('#')[0].strip() for line in f]
    return [line for line in lines if line and not line.startswith('-r')]


def read_version() -> str:
    with open(osp.join(HERE, 'lmdkit', 'version.py')) as f:
        namespace: dict = {}
        exec(f.read(), namespace)
    return namespace['__version__']


setup(
    name='lmdkit',
    version=read_version(),
    description='Fast image-model training by masking in latent space (LMD, MAE, MDT, DiT) on MMEngine',
    long_description=open(osp.join(HERE, 'README.md')).read(),
    long_description_content_type='text/markdown',
    license='Apache-2.0',
    python_requires='>=3.9',
    packages=find_packages(exclude=('tests', 'tests.*', 'configs', 'tools')),
    package_data={'lmdkit': ['datasets/data/*.npz', 'pretrained/*/*']},
    include_package_data=True,
    install_requires=read_requirements('runtime'),
    extras_require={'tests': read_requirements('tests'), 'optional': read_requirements('optional')},
    zip_safe=False,
)
