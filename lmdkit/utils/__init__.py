"""Helpers at the bottom of the layer order (they import nothing from lmdkit above ``registry``): option dicts,
host-sync counting, the per-step readout, progress output, paired timing, config checks, smoothing."""


def __getattr__(name: str):
    if name == 'register_all_modules':  # lived here before the layering: say where it went (ImportError, as
        # `from lmdkit.utils import ...` would replace an AttributeError's message with a generic one)
        raise ImportError(
            'lmdkit.utils.register_all_modules moved to lmdkit.apis.register_all_modules (it imports every layer, '
            'so it belongs to the top one): use `from lmdkit.apis import register_all_modules`'
        )
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
