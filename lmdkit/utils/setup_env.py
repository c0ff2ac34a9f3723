"""Import every lmdkit module that registers something, and make 'lmdkit' the default registry scope."""

import datetime
import warnings

from mmengine import DefaultScope


def register_all_modules(init_default_scope: bool = True) -> None:
    """Register lmdkit's datasets, models, hooks and metrics; optionally set the default scope to 'lmdkit'."""
    import lmdkit.datasets  # noqa: F401
    import lmdkit.engine  # noqa: F401
    import lmdkit.evaluation  # noqa: F401
    import lmdkit.models  # noqa: F401
    import lmdkit.visualization  # noqa: F401

    if not init_default_scope:
        return
    current = DefaultScope.get_current_instance()
    if current is None:
        DefaultScope.get_instance('lmdkit', scope_name='lmdkit')
    elif current.scope_name != 'lmdkit':
        warnings.warn(f'default scope was {current.scope_name!r}; switching to a new "lmdkit" scope', stacklevel=2)
        name = f'lmdkit-{datetime.datetime.now().strftime("%Y%m%d-%H%M%S-%f")}'
        DefaultScope.get_instance(name, scope_name='lmdkit')
