"""Loading released autoencoder weights (diffusers or LDM/taming) into a projector, with a load report."""

from typing import Iterable

import torch.nn as nn

from lmdkit.fileio.converters import diffusers_to_ldm, is_diffusers_layout
from lmdkit.fileio.weights import load_into, read_state_dict, strip_prefix


def load_autoencoder_weights(
    module: nn.Module, path: str, num_levels: int, prefixes: Iterable[str] = ('first_stage_model.', 'vae.')
) -> dict:
    """Load diffusers (folder, ``.safetensors``/``.bin``) or LDM/taming (``.ckpt``/``.pt``/``.safetensors``,
    bare or under ``first_stage_model.``) weights into an autoencoder projector."""
    state, skipped = read_state_dict(path)
    state = strip_prefix(state, prefixes)
    if is_diffusers_layout(state):
        state = diffusers_to_ldm(state, num_levels)
    report = load_into(module, state, path)
    if skipped:
        report['skipped_pickled_objects'] = skipped
    return report
