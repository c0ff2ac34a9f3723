# Text-to-image at equal wall-clock on captioned Fashion-MNIST (issue #16, the CPU analogue of LMD's Table 4): DiT,
# MDTv2, the latent U-Net and LMD, each its configs/t2i/*_fmnist-captions.py (a byte-level text encoder of 2 blocks
# trained with it, 10 % caption dropout), all on the same cached f4 latents with their captions, bf16 autocast, each
# its own recipe (DiT/MDTv2/U-Net: AdamW 3e-4, EMA; LMD: AdamW 2e-3 with a cosine decay, its cosine mask schedule).
# Each gets _BUDGET training seconds: its iteration count is _BUDGET over its seconds per iteration, measured on the
# idle 2-core machine, one after another, on the configs as the grid resolves them (2026-12-02):
#   dit 1.627, mdtv2 3.151 (at mask ratio 0.4, its range's mean), unet 0.529, lmd 0.320 s/iter (at 0.45, the mean
#   of its cosine schedule from 0.15 to 0.75; these predate the faster DiT/MDT steps and fused AdamW of issue #15:
#   measure them again before rerunning the grid as an equal-time comparison), by
#   python tools/ablate.py configs/ablations/grids/t2i_fmnist.py --dry-run   (writes each variant's resolved config)
#   python tools/benchmark.py work_dirs/ablations/t2i_fmnist/NAME/NAME.py --warmup 10 --repeat 40 --no-sampling \
#       [--mask-ratio R]
# 450 s each (the grid, its scoring and the test suite fit one 3-hour session); each learning-rate warm-up is its
# recipe's (200 iterations; LMD 300) or half the run when that is shorter (DiT 140, MDTv2 70): raise _BUDGET for a
# longer comparison.
# Needs data/fmnist_captions and the caption latent cache: python tools/prepare.py
# configs/t2i/dit_p1-byte_fmnist-captions-cache.py. Then score each checkpoint from the test prompts (FID-FMNIST, class
# and attribute consistency; LMD samples with its own 10 unmasking steps):
#   python tools/analysis/score_checkpoints.py work_dirs/ablations/t2i_fmnist/{dit,mdtv2,unet} \
#       --classifier configs/evaluation/convnet_fmnist.py work_dirs/convnet_fmnist/iter_2000.pth \
#       --ref data/fmnist_captions/test --attributes data/fmnist_captions --amp \
#       -- --prompts data/fmnist_captions/test/captions.jsonl
#   (the same for work_dirs/ablations/t2i_fmnist/lmd with --steps 10)
#   python tools/ablate.py configs/ablations/grids/t2i_fmnist.py
work_root = 'work_dirs/ablations/t2i_fmnist'
score = 'FID-convnet_fmnist'
_BUDGET = 450  # training seconds per method
_methods = dict(  # name: (config, seconds per iteration, the recipe's warm-up iterations)
    dit=('configs/t2i/dit_p1-byte_fmnist-captions.py', 1.627, 200),
    mdtv2=('configs/t2i/mdtv2_s1-byte_fmnist-captions.py', 3.151, 200),
    unet=('configs/t2i/ldm-unet_byte_fmnist-captions.py', 0.529, 200),
    lmd=('configs/t2i/lmd_vitp-byte_fmnist-captions.py', 0.320, 300),
)
_cache = 'work_dirs/cache/vqf4_fmnist_captions'
_val = dict(type='LatentCacheDataset', cache_dir=_cache + '/val', image_size=32, indices=1000)
_source = 'configs/t2i/dit_p1-byte_fmnist-captions.py'  # whose dataset the caches encode
cfg_options = {  # every variant on the cached latents (captions served with them)
    'train_dataloader.dataset': dict(type='LatentCacheDataset', cache_dir=_cache + '/train', image_size=32),
    'train_dataloader.sampler': dict(type='EpochInfiniteSampler', shuffle=True),
    'train_dataloader.num_workers': 0,
    'train_dataloader.persistent_workers': False,
    'val_dataloader.dataset': _val,
    'test_dataloader.dataset': _val,
    'optim_wrapper.type': 'AutocastOptimWrapper',
    'optim_wrapper.dtype': 'bfloat16',
    'prerequisites': dict(  # those of configs/t2i/dit_p1-byte_fmnist-captions-cache.py
        train_cache=dict(key='train_dataloader.dataset.cache_dir', file='manifest.json', config=_source,
                         command=f'python tools/cache_latents.py {_source} --out {{path}} --flip'),
        val_cache=dict(key='val_dataloader.dataset.cache_dir', file='manifest.json', config=_source,
                       command=f'python tools/cache_latents.py {_source} --out {{path}} --split val'),
    ),
}  # fmt: skip
_iters = {name: int(round(_BUDGET / s / 20)) * 20 for name, (_, s, _) in _methods.items()}  # 4 checkpoints apart
variants = [
    dict(name=name, config=config,
         cfg_options={'train_cfg.max_iters': _iters[name], 'train_cfg.val_interval': _iters[name] // 4,
                      'param_scheduler.0.end': min(warmup, _iters[name] // 2),
                      'param_scheduler.1.begin': min(warmup, _iters[name] // 2), 'param_scheduler.1.end': _iters[name], 'default_hooks.checkpoint.interval': _iters[name] // 4,
                      'default_hooks.checkpoint.max_keep_ckpts': 4, 'custom_hooks.SampleVisHook.interval': _iters[name]})
    for name, (config, _, warmup) in _methods.items()
]  # fmt: skip
