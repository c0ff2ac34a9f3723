"""Score generated samples against a reference set: FID, sFID, IS, precision/recall, class consistency, CLIP score,
attribute consistency (text-to-image on captioned Fashion-MNIST).

    # Inception metrics (comparable with published FIDs computed the pytorch-fid way)
    python tools/eval_gen.py SAMPLES.npz --ref REF --inception-weights pt_inception-2015-12-05-6726825d.pth
    # FID-FMNIST and class consistency with the Fashion-MNIST classifier (not comparable with Inception FIDs)
    python tools/eval_gen.py work_dirs/dit/samples/samples.npz --ref configs/_base_/datasets/fmnist.py \
        --classifier configs/evaluation/convnet_fmnist.py work_dirs/convnet_fmnist/iter_2000.pth
    # text-to-image on captioned Fashion-MNIST (samples from tools/sample.py --prompts): the prompts' classes for
    # class consistency, and whether each sample shows the prompted brightness, size and texture
    python tools/eval_gen.py SAMPLES.npz --ref data/fmnist_captions/test --classifier CONFIG CKPT \
        --attributes data/fmnist_captions
    # optional extras
        [--clip-dir DIR --captions "a photo of a {}"]  [--num N] [--work-dir RUN_DIR] [--tag iter_2000] [--out F]

SAMPLES: an ADM-style ``.npz`` (``arr_0`` uint8 NHWC, ``arr_1`` labels, as ``tools/sample.py`` writes; a
text-to-image run's ``captions`` are its prompts: the CLIP score scores them) or a folder of images. REF: an
``.npz`` of images and/or statistics (ADM reference batches: ``mu``/``sigma``/``mu_s``/``sigma_s``), a folder,
or a dataset config (its test split, through the config's pipeline). Reference features are cached under
--stats-cache. With --work-dir the results are merged into RUN_DIR/summary.json under
``generative.<feature net>.<tag>`` so tools/ablate.py and plots can put them beside training time.
"""

import argparse
import json
import os.path as osp
import sys
import time

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..'))

from lmdkit.evaluation.generative.evaluator import (  # noqa: E402
    GenerativeEvaluator,
    load_captions,
    load_images,
    load_prompt_index,
)
from lmdkit.fileio import atomic_write  # noqa: E402
from lmdkit.utils.run_summary import RunSummary  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('samples')
    parser.add_argument('--ref', required=True, help='reference .npz / folder / dataset config')
    net = parser.add_mutually_exclusive_group(required=True)
    net.add_argument('--inception-weights', help="pytorch-fid's pt_inception-2015-12-05-6726825d.pth (local)")
    net.add_argument('--classifier', nargs=2, metavar=('CONFIG', 'CHECKPOINT'), help='an lmdkit classifier')
    parser.add_argument('--name', help="label of the feature network (default: 'inception' or the config's stem)")
    parser.add_argument('--num', type=int, help='score only the first N samples')
    parser.add_argument('--max-ref', type=int, help='use at most N reference images')
    parser.add_argument('--k', type=int, default=3, help='precision/recall neighbourhood (default 3)')
    parser.add_argument('--batch-size', type=int, default=100)
    parser.add_argument('--stats-cache', default='work_dirs/fid_stats', help="reference-feature cache ('' = off)")
    parser.add_argument('--clip-dir', help='a local Hugging Face CLIP directory: adds the CLIP score')
    parser.add_argument('--captions', default='a photo of a {}', help='caption template, {} = class name')
    parser.add_argument('--class-names', nargs='+', help='class names for captions (default: Fashion-MNIST)')
    parser.add_argument('--attributes', help='captioned Fashion-MNIST folder (attributes.json): attribute consistency')
    parser.add_argument('--lpips-ref', help="caption folder whose captions.jsonl was --prompts: LPIPS to each "
                        "caption's image")  # fmt: skip
    parser.add_argument(
        '--lpips',
        nargs=2,
        metavar=('BACKBONE', 'LIN'),
        help="LPIPS weights: torchvision alexnet/vgg16 .pth and the lpips package's linear layers",
    )
    parser.add_argument('--lpips-net', default='alex', choices=['alex', 'vgg'])
    parser.add_argument('--work-dir', help='merge the results into this run’s summary.json')
    parser.add_argument('--tag', default='final', help='key of these results in summary.json (e.g. iter_2000)')
    parser.add_argument('--out', help='also write the results to this JSON file')
    parser.add_argument('--device', default='cpu')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if args.inception_weights:
        extractor, name = dict(type='InceptionV3FID', checkpoint=args.inception_weights), args.name or 'inception'
    else:
        config, ckpt = args.classifier
        extractor = dict(type='ClassifierFeatures', config=config, checkpoint=ckpt)
        name = args.name or osp.splitext(osp.basename(config))[0]
    evaluator = GenerativeEvaluator(extractor, args.ref, name=name, stats_cache=args.stats_cache or None, k=args.k,
                                    batch_size=args.batch_size, max_ref=args.max_ref, device=args.device)  # fmt: skip
    start = time.time()
    print(f'reference features ({args.ref}, {name}) ...', flush=True)
    evaluator.reference(progress=True)
    images, labels = load_images(args.samples, args.num)
    prompts = load_captions(args.samples, args.num)
    if args.attributes:
        from lmdkit.datasets.fmnist_captions import read_thresholds
        from lmdkit.evaluation.generative import attribute_consistency, prompted_labels

        if prompts is None:
            raise SystemExit(f'--attributes needs the samples\' prompts: {args.samples} has no captions '
                             '(sample with tools/sample.py --prompts)')  # fmt: skip
        labels = prompted_labels(prompts) if labels is None else labels  # class consistency: the prompted class
    print(f'\nscoring {len(images)} samples {tuple(images.shape[1:])} ...', flush=True)
    results = evaluator.evaluate(images, labels, progress=True)
    if args.attributes:
        results.update(attribute_consistency(images, prompts, read_thresholds(args.attributes)))
    if args.lpips_ref:
        from lmdkit.evaluation.generative import caption_references, paired_lpips
        from lmdkit.registry import MODELS

        index = load_prompt_index(args.samples, args.num)
        if index is None or not args.lpips:
            raise SystemExit('--lpips-ref needs samples drawn with tools/sample.py --prompts (prompt_index in the '
                             '.npz) and --lpips BACKBONE LIN weights')  # fmt: skip
        lpips = MODELS.build(dict(type='LPIPS', net=args.lpips_net, backbone_checkpoint=args.lpips[0],
                                  lin_checkpoint=args.lpips[1]))  # fmt: skip
        refs = caption_references(args.lpips_ref, index, prompts, channels=images.shape[1])
        results['lpips_to_caption_image'] = paired_lpips(lpips, images, refs)
    if args.clip_dir:
        from lmdkit.datasets.fashion_mnist import FMNIST_CLASSES
        from lmdkit.evaluation.generative import CLIPScorer

        if prompts is None and labels is None:
            raise SystemExit('the CLIP score needs prompts (captions) or labelled samples (arr_1) to build captions')
        names = args.class_names or list(FMNIST_CLASSES)
        captions = prompts if prompts is not None else [args.captions.format(names[int(y)]) for y in labels]
        results.update(CLIPScorer(args.clip_dir, args.device)(images.float() / 255.0, captions))
    results = dict(results, feature_net=name, samples=osp.abspath(args.samples), ref=args.ref,
                   seconds=round(time.time() - start, 1))  # fmt: skip
    print('\n' + json.dumps(results, indent=1))
    if args.out:
        atomic_write(args.out, lambda f: json.dump(results, f, indent=1), mode='w')
    if args.work_dir:
        path = RunSummary.path_of(args.work_dir)
        summary = RunSummary.read(path) if RunSummary.exists(path) else RunSummary(work_dir=osp.abspath(args.work_dir))
        summary.generative.setdefault(name, {})[args.tag] = results
        atomic_write(path, lambda f: f.write(summary.to_json()), mode='w')
        print(f'merged into {path} under generative.{name}.{args.tag}')


if __name__ == '__main__':
    main()
