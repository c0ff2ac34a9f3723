"""End to end: pretrain -> fine-tune from the checkpoint -> evaluate -> export to timm; convert an MAE release."""

import json
import os.path as osp
import re
import sys

import pytest
import torch

from ..conftest import QUICK_START, require
from .test_cli import SMALL, sh

FINETUNE = 'configs/finetune/vitp_quickstart-pre_fmnist-mini.py'
FT_SMALL = [
    'train_cfg.max_iters=30',
    'train_cfg.val_interval=10',
    'param_scheduler.0.end=5',
    'param_scheduler.1.begin=5',
    'param_scheduler.1.end=30',
    'default_hooks.checkpoint.interval=30',
    'train_dataloader.batch_size=16',
    'val_dataloader.dataset.indices=100',
]


@pytest.mark.slow
def test_pretrain_finetune_test_export(tmp_path):
    pre = str(tmp_path / 'pre')
    sh(
        sys.executable,
        'tools/train.py',
        QUICK_START,
        '--work-dir',
        pre,
        '--cfg-options',
        *SMALL,
        'train_cfg.max_iters=20',
        'param_scheduler.1.end=20',
    )
    ckpt = osp.join(pre, 'iter_20.pth')
    ft = str(tmp_path / 'ft')
    out = sh(
        sys.executable,
        'tools/train.py',
        FINETUNE,
        '--work-dir',
        ft,
        '--cfg-options',
        *FT_SMALL,
        f'model.backbone.init_cfg.checkpoint={ckpt}',
    )
    log = out.stdout + out.stderr
    assert 'pretrained encoder:' in log and '"unexpected": ["norm.bias", "norm.weight"]' in log
    assert 'layer-wise lr decay 0.75' in log
    summary = json.load(open(osp.join(ft, 'summary.json')))
    assert [v['iter'] for v in summary['val_history']] == [10, 20, 30]
    assert 0 <= summary['val']['accuracy/top1'] <= 100 and summary['MAT']['MAT@1']['evaluations'] == 3
    rows = [json.loads(line) for line in open(osp.join(ft, 'train_record.jsonl'))]
    losses = [r['loss'] for r in rows]
    assert sum(losses[-10:]) / 10 < losses[0], losses  # learning: below the chance-level start (ln 10)
    # evaluating the fine-tuned checkpoint gives the last validation accuracy (same data, no pretrained file needed)
    sh(
        sys.executable,
        'tools/test.py',
        FINETUNE,
        osp.join(ft, 'iter_30.pth'),
        '--work-dir',
        ft,
        '--cfg-options',
        'test_dataloader.dataset.indices=100',
        'model.backbone.init_cfg.checkpoint=/nonexistent.pth',
    )
    metrics = json.load(open(osp.join(ft, 'test_metrics.json')))['metrics']
    assert metrics['accuracy/top1'] == pytest.approx(summary['val']['accuracy/top1'])
    png = str(tmp_path / 'acc.png')
    sh(sys.executable, 'tools/analysis/plot_curves.py', ft, '--metric', 'accuracy/top1', '--x', 'wall', '--out', png)
    assert osp.getsize(png) > 5000
    # export to timm and compare logits with the classifier
    timm = require('timm')
    exported = str(tmp_path / 'vit_timm.pth')
    sh(sys.executable, 'tools/convert/lmdkit_to_timm.py', osp.join(ft, 'iter_30.pth'), exported, '--config', FINETUNE)
    kwargs = json.load(open(osp.splitext(exported)[0] + '.json'))
    ref = timm.create_model(
        'vit_tiny_patch16_224', pretrained=True, pretrained_cfg_overlay=dict(file=exported, num_classes=10), **kwargs
    ).eval()
    from lmdkit.apis import init_model

    ours = init_model(FINETUNE, osp.join(ft, 'iter_30.pth'), device='cpu')  # builds without the pretrained file
    images = torch.randint(0, 256, (4, 1, 32, 32), dtype=torch.uint8)
    with torch.no_grad():
        x = ours.data_preprocessor(dict(inputs=images), False)['inputs']
        torch.testing.assert_close(ours(x, mode='tensor'), ref(x), atol=1e-4, rtol=1e-4)
    from lmdkit.apis import classify

    pred = classify(ours, images)
    assert torch.equal(pred['labels'], ref(x).argmax(1)) and pred['topk_labels'].shape == (4, 5)


@pytest.mark.slow
def test_convert_mae_release_and_check_against_config(tmp_path):
    from lmdkit.apis import register_all_modules
    from lmdkit.registry import MODELS

    register_all_modules()
    from mmengine.config import Config

    model = MODELS.build(Config.fromfile('configs/mae/mae_vitp_fmnist.py').model)
    raw = {k.split('.', 1)[1]: v for k, v in model.state_dict().items() if k.startswith(('backbone.', 'neck.'))}
    torch.save(dict(model=raw), tmp_path / 'mae_pretrain_full.pth')
    out = sh(
        sys.executable,
        'tools/convert/mae_to_lmdkit.py',
        str(tmp_path / 'mae_pretrain_full.pth'),
        str(tmp_path / 'converted.pth'),
        '--config',
        'configs/mae/mae_vitp_fmnist.py',
    )
    assert 'checked: loads into LMD' in out.stdout
    assert re.search(
        r'reading and converting .*mae_pretrain_full\.pth \([\d.]+ MB\) \.\.\. done in [\d.]+ s', out.stdout
    )
    assert re.search(r'writing .*converted\.pth \.\.\. done in', out.stdout)
    state = torch.load(tmp_path / 'converted.pth', weights_only=True)['state_dict']
    for k, v in model.state_dict().items():
        if k.startswith(('backbone.', 'neck.')):
            assert torch.equal(state[k], v), k
    bad = dict(raw, **{'blocks.0.attn.qkv.weight': torch.zeros(3, 3)})
    torch.save(dict(model=bad), tmp_path / 'bad.pth')
    with pytest.raises(AssertionError, match='does not fit'):
        sh(
            sys.executable,
            'tools/convert/mae_to_lmdkit.py',
            str(tmp_path / 'bad.pth'),
            str(tmp_path / 'x.pth'),
            '--config',
            'configs/mae/mae_vitp_fmnist.py',
        )
