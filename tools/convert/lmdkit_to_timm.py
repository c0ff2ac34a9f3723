"""Export an lmdkit encoder (LMD/MAE pretraining or fine-tuned classifier) as a timm VisionTransformer state dict.

    python tools/convert/lmdkit_to_timm.py CHECKPOINT OUT.pth --config CONFIG

Writes ``OUT.pth`` (a plain state dict) and ``OUT.json`` with the ``timm.create_model`` keyword arguments that
rebuild the same network, so that

    timm.create_model('vit_base_patch16_224', pretrained=True,
                      pretrained_cfg_overlay=dict(file='OUT.pth', num_classes=K), **kwargs)

gives identical features (and logits for a fine-tuned classifier). A latent-input encoder exports its ViT only:
its projector stays in lmdkit.
"""

import argparse
import json
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

from lmdkit.fileio import atomic_torch_save, atomic_write  # noqa: E402
from lmdkit.fileio.converters import export_timm_vit  # noqa: E402
from lmdkit.fileio.weights import read_lmdkit_state  # noqa: E402
from lmdkit.utils.config_check import load_config  # noqa: E402
from lmdkit.utils.progress import describe_file, stage  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('checkpoint')
    parser.add_argument('out')
    parser.add_argument('--config', help='the checkpoint config (gives num_heads); or pass --num-heads')
    parser.add_argument('--num-heads', type=int)
    args = parser.parse_args()
    with stage(f'reading and converting {describe_file(args.checkpoint)}'):
        state, kwargs = export_timm_vit(read_lmdkit_state(args.checkpoint))
    if args.num_heads:
        kwargs['num_heads'] = args.num_heads
    elif args.config:
        from lmdkit.models.backbones.vit_mae import resolve_arch

        backbone = load_config(args.config).model.backbone
        kwargs['num_heads'] = resolve_arch(backbone.get('arch', 'b'), backbone.get('embed_dim'), backbone.get('depth'),
                                           backbone.get('num_heads'))[2]  # fmt: skip
        kwargs['norm_layer_eps'] = backbone.get('norm_eps', 1e-6)
    else:
        raise SystemExit('pass --config or --num-heads: the head count is not stored in the weights')
    eps = kwargs.pop('norm_layer_eps', 1e-6)
    if eps != 1e-6:
        print(f'note: the encoder uses LayerNorm eps {eps}; timm ViTs use 1e-6')
    with stage(f'writing {args.out}'):
        atomic_torch_save(state, args.out)
    meta = osp.splitext(args.out)[0] + '.json'
    atomic_write(meta, lambda f: json.dump(kwargs, f, indent=2), mode='w')
    print(f'wrote {args.out} ({len(state)} tensors) and {meta}: {kwargs}')


if __name__ == '__main__':
    main()
