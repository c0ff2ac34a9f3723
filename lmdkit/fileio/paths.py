"""Paths to files shipped inside the lmdkit package (``lmdkit://pretrained/...``), so that a config can name shipped
weights wherever lmdkit is installed, as MMEngine's ``open-mmlab://`` names a model-zoo file."""

import os.path as osp

#: the prefix of a path inside the installed ``lmdkit`` package
PACKAGE_SCHEME = 'lmdkit://'
PACKAGE_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
#: the weights file of an exported model folder (``lmdkit.apis.export_pretrained``)
MODEL_WEIGHTS = 'model.safetensors'


def resolve_path(path: str) -> str:
    """``lmdkit://REL`` as the file or folder REL under the installed package; other paths as they are."""
    if isinstance(path, str) and path.startswith(PACKAGE_SCHEME):
        return osp.join(PACKAGE_ROOT, path[len(PACKAGE_SCHEME) :])
    return path
