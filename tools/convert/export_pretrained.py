"""Export a trained model as one shareable folder: model.safetensors, the resolved config.py and a README.md card.

    python tools/convert/export_pretrained.py CONFIG CHECKPOINT OUT_DIR [--raw]

EMA weights are exported where the run kept them (``--raw``: the training weights). The folder is what a model-hub
repository holds; ``init_model(OUT_DIR)``, ``tools/test.py OUT_DIR/config.py OUT_DIR``, ``tools/sample.py`` and
``load_from=OUT_DIR`` read it.
"""

import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

from lmdkit.apis import (
    export_pretrained,  # noqa: E402
    register_all_modules,  # noqa: E402
)
from lmdkit.utils.progress import describe_file, stage  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='the config the checkpoint was trained with')
    parser.add_argument('checkpoint')
    parser.add_argument('out_dir')
    parser.add_argument('--raw', action='store_true', help='export the raw training weights, not the EMA')
    args = parser.parse_args()
    register_all_modules()
    with stage(f'exporting {describe_file(args.checkpoint)}'):
        info = export_pretrained(args.config, args.checkpoint, args.out_dir, ema=not args.raw)
    digest = info['sha256'][:16]
    print(f"wrote {info['out_dir']}: {info['tensors']} tensors ({info['weights']} weights, sha256 {digest}…), "
          'config.py, README.md')  # fmt: skip
    if info['removed']:
        print(
            f'  weight sources dropped from the config (their values are in the weights): {", ".join(info["removed"])}'
        )


if __name__ == '__main__':
    main()
