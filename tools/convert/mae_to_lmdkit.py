"""Convert an official MAE release checkpoint (facebookresearch/mae) or a Hugging Face ViTMAE file to lmdkit keys.

    python tools/convert/mae_to_lmdkit.py mae_pretrain_vit_base.pth out.pth [--config CONFIG]
    python tools/convert/mae_to_lmdkit.py vit-mae-base/model.safetensors out.pth --config configs/mae/mae_vitb_in1k.py

Encoder weights become ``backbone.*`` and decoder weights (``_full`` releases, ``ViTMAEForPreTraining``)
``neck.*``; fine-tuned releases keep ``fc_norm`` and map ``head`` to ``head.fc``. The output is a plain
``{'state_dict': ...}`` file that ``torch.load(weights_only=True)``, ``init_model`` and ``load_from`` accept.
With ``--config`` the converted weights are loaded strictly into the config's model first (every key used, none
missing among the converted parts), so a wrong architecture fails here rather than at training time.
"""

import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

from lmdkit.fileio import atomic_torch_save  # noqa: E402
from lmdkit.fileio.weights import read_lmdkit_state  # noqa: E402
from lmdkit.utils.config_check import load_config  # noqa: E402
from lmdkit.utils.progress import describe_file, stage  # noqa: E402


def check_against_config(state: dict, config: str) -> None:
    """Load ``state`` into the config's model: converted keys must all exist with the same shapes."""

    from lmdkit.apis import register_all_modules
    from lmdkit.registry import MODELS

    register_all_modules()
    cfg = load_config(config)
    cfg.model.get('backbone', {}).pop('init_cfg', None)
    model = MODELS.build(cfg.model)
    own = model.state_dict()
    unexpected = sorted(set(state) - set(own))
    shapes = [f'{k}: {tuple(state[k].shape)} vs {tuple(own[k].shape)}' for k in state if k in own
              and state[k].shape != own[k].shape]  # fmt: skip
    parts = {k.split('.')[0] for k in state}
    missing = sorted(k for k in own if k.split('.')[0] in parts - {'projector'} and k not in state)
    if unexpected or shapes or missing:
        raise SystemExit(
            f'does not fit {config}: unexpected {unexpected[:8]}, missing {missing[:8]}, shapes {shapes[:8]}'
        )
    model.load_state_dict(state, strict=False)
    print(f'checked: loads into {type(model).__name__} of {config} ({len(state)} tensors, parts {sorted(parts)})')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('src', help='official MAE .pth or HF ViTMAE .safetensors/.bin')
    parser.add_argument('dst', help='output lmdkit checkpoint')
    parser.add_argument('--config', help='verify the result loads into this config model')
    args = parser.parse_args()
    with stage(f'reading and converting {describe_file(args.src)}'):
        state = read_lmdkit_state(args.src)
    print(f'{args.src}: {len(state)} tensors -> parts {sorted({k.split(".")[0] for k in state})}')
    if args.config:
        check_against_config(state, args.config)
    with stage(f'writing {args.dst}'):
        atomic_torch_save(dict(state_dict=state, meta=dict(converted_from=osp.basename(args.src))), args.dst)
    print(f'wrote {describe_file(args.dst)}')


if __name__ == '__main__':
    main()
