# Full Fashion-MNIST as cached latents of the f4 VQGAN (replaces _base_/datasets/fmnist.py: nothing else changes).
# Build the cache once (resumable; --flip also stores mirrored images):
#   python tools/cache_latents.py configs/lmd/lmd_vitp_vqf4-fmnist_cos.py --out work_dirs/cache/vqf4_fmnist/train --flip
#   python tools/cache_latents.py configs/lmd/lmd_vitp_vqf4-fmnist_cos.py --out work_dirs/cache/vqf4_fmnist/val --split val
# The dataset refuses a cache made by another projector, other weights or another image size (tools/train.py
# hands it model.projector to compare).
_base_ = ['./fmnist.py']
cache_root = 'work_dirs/cache/vqf4_fmnist'
train_dataloader = dict(
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='EpochInfiniteSampler', shuffle=True),  # each epoch draws each image's view (or its flip) anew
    dataset=dict(_delete_=True, type='LatentCacheDataset', cache_dir=cache_root + '/train', image_size=32),
)
val_dataloader = dict(dataset=dict(_delete_=True, type='LatentCacheDataset', cache_dir=cache_root + '/val', image_size=32))
test_dataloader = val_dataloader
# made by `python tools/prepare.py CONFIG` (times measured on the 2-core CPU: the train cache holds 120,000 views)
prerequisites = dict(
    train_cache=dict(
        key='train_dataloader.dataset.cache_dir',
        file='manifest.json',
        command='python tools/cache_latents.py configs/lmd/lmd_vitp_vqf4-fmnist_cos.py --out {path} --flip',
        config='configs/lmd/lmd_vitp_vqf4-fmnist_cos.py',
        minutes=3.5,
    ),
    val_cache=dict(
        key='val_dataloader.dataset.cache_dir',
        file='manifest.json',
        command='python tools/cache_latents.py configs/lmd/lmd_vitp_vqf4-fmnist_cos.py --out {path} --split val',
        config='configs/lmd/lmd_vitp_vqf4-fmnist_cos.py',
        minutes=0.5,
    ),
)
