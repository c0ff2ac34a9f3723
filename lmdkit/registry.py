"""lmdkit's registries: children of MMEngine's roots so configs mix our types with MMEngine's.

Every registry uses ``scope='lmdkit'`` and ``locations`` so that building a type imports its package lazily.
An unknown ``type`` fails with the registry's name and the closest registered names.
"""

import difflib
from typing import Any, Optional, Type

from mmengine.registry import DATA_SAMPLERS as MMENGINE_DATA_SAMPLERS
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import EVALUATOR as MMENGINE_EVALUATOR
from mmengine.registry import FUNCTIONS as MMENGINE_FUNCTIONS
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import LOG_PROCESSORS as MMENGINE_LOG_PROCESSORS
from mmengine.registry import LOOPS as MMENGINE_LOOPS
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import MODEL_WRAPPERS as MMENGINE_MODEL_WRAPPERS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import OPTIM_WRAPPER_CONSTRUCTORS as MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS
from mmengine.registry import OPTIM_WRAPPERS as MMENGINE_OPTIM_WRAPPERS
from mmengine.registry import OPTIMIZERS as MMENGINE_OPTIMIZERS
from mmengine.registry import PARAM_SCHEDULERS as MMENGINE_PARAM_SCHEDULERS
from mmengine.registry import RUNNERS as MMENGINE_RUNNERS
from mmengine.registry import STRATEGIES as MMENGINE_STRATEGIES
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine.registry import VISBACKENDS as MMENGINE_VISBACKENDS
from mmengine.registry import VISUALIZERS as MMENGINE_VISUALIZERS
from mmengine.registry import WEIGHT_INITIALIZERS as MMENGINE_WEIGHT_INITIALIZERS
from mmengine.registry import Registry as _MMRegistry


class Registry(_MMRegistry):
    """MMEngine registry whose failed look-ups name the registry and suggest the closest registered names."""

    def get(self, key: str) -> Optional[Type]:
        obj = super().get(key)
        if obj is None and isinstance(key, str):
            raise KeyError(self._not_found_message(key))
        return obj

    def _all_names(self) -> list:
        """Names visible from this registry: its own, its parents' and (from the root) its siblings'."""
        names, registry = set(self._module_dict), self.parent
        while registry is not None:
            names.update(registry.module_dict)
            registry = registry.parent
        return sorted(names)

    def _not_found_message(self, key: str) -> str:
        names = self._all_names()
        close = difflib.get_close_matches(key.split('.')[-1], names, n=5, cutoff=0.5)
        hint = f'Did you mean: {", ".join(close)}?' if close else f'Registered names: {", ".join(names[:40])}'
        return (
            f"'{key}' is not registered in the {self.scope}::{self.name} registry. {hint} "
            f'(Custom modules must be imported first, e.g. with `custom_imports` in the config.)'
        )


def _child(name: str, parent: Any, location: str) -> Registry:
    return Registry(name, parent=parent, scope='lmdkit', locations=[location])


RUNNERS = _child('runner', MMENGINE_RUNNERS, 'lmdkit.engine')
LOOPS = _child('loop', MMENGINE_LOOPS, 'lmdkit.engine')
HOOKS = _child('hook', MMENGINE_HOOKS, 'lmdkit.engine')
LOG_PROCESSORS = _child('log processor', MMENGINE_LOG_PROCESSORS, 'lmdkit.engine')
OPTIMIZERS = _child('optimizer', MMENGINE_OPTIMIZERS, 'lmdkit.engine')
OPTIM_WRAPPERS = _child('optim_wrapper', MMENGINE_OPTIM_WRAPPERS, 'lmdkit.engine')
OPTIM_WRAPPER_CONSTRUCTORS = _child(
    'optimizer wrapper constructor', MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS, 'lmdkit.engine'
)
PARAM_SCHEDULERS = _child('parameter scheduler', MMENGINE_PARAM_SCHEDULERS, 'lmdkit.engine')
MODEL_WRAPPERS = _child('model_wrapper', MMENGINE_MODEL_WRAPPERS, 'lmdkit.engine')
STRATEGIES = _child('strategy', MMENGINE_STRATEGIES, 'lmdkit.engine')

DATASETS = _child('dataset', MMENGINE_DATASETS, 'lmdkit.datasets')
DATA_SAMPLERS = _child('data sampler', MMENGINE_DATA_SAMPLERS, 'lmdkit.datasets')
TRANSFORMS = _child('transform', MMENGINE_TRANSFORMS, 'lmdkit.datasets')
FUNCTIONS = _child('function', MMENGINE_FUNCTIONS, 'lmdkit.datasets')

MODELS = _child('model', MMENGINE_MODELS, 'lmdkit.models')
WEIGHT_INITIALIZERS = _child('weight initializer', MMENGINE_WEIGHT_INITIALIZERS, 'lmdkit.models')
MASK_SCHEDULERS = Registry('mask scheduler', scope='lmdkit', locations=['lmdkit.models.mask_schedulers'])
#: which tokens each block of a transformer denoiser sees in a training step (TREAD, deferred masking, ...)
TOKEN_PLANS = Registry('token plan', scope='lmdkit', locations=['lmdkit.models.token_plans'])
#: frozen encoders whose patch features representation alignment (REPA) aligns a denoiser's tokens to
TEACHERS = Registry('teacher', scope='lmdkit', locations=['lmdkit.models.teachers'])
#: caption encoders of text-to-image training (CLIP's and T5's text towers, a small trainable one)
TEXT_ENCODERS = Registry('text encoder', scope='lmdkit', locations=['lmdkit.models.text_encoders'])

METRICS = _child('metric', MMENGINE_METRICS, 'lmdkit.evaluation')
EVALUATOR = _child('evaluator', MMENGINE_EVALUATOR, 'lmdkit.evaluation')
#: networks whose features generative metrics compare (Inception for FID, a Fashion-MNIST classifier, ...)
FEATURE_EXTRACTORS = Registry('feature extractor', scope='lmdkit', locations=['lmdkit.evaluation.feature_extractors'])

VISUALIZERS = _child('visualizer', MMENGINE_VISUALIZERS, 'lmdkit.visualization')
VISBACKENDS = _child('vis_backend', MMENGINE_VISBACKENDS, 'lmdkit.visualization')
