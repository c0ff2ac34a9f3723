# dit_p1-byte_fmnist-captions.py on cached latents: captioned Fashion-MNIST encoded once by the f4 VQ-GAN (with
# flips), each image's caption stored beside its latents and served with them (what the equal-time text-to-image
# comparison trains on: no encoding in the step). The caches are made by `python tools/prepare.py CONFIG`:
#   python tools/cache_latents.py configs/t2i/dit_p1-byte_fmnist-captions.py --out {train cache} --flip
#   python tools/cache_latents.py configs/t2i/dit_p1-byte_fmnist-captions.py --out {val cache} --split val
_base_ = ['./dit_p1-byte_fmnist-captions.py']
cache_root = 'work_dirs/cache/vqf4_fmnist_captions'
train_dataloader = dict(
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='EpochInfiniteSampler', shuffle=True),  # each epoch draws each image's view (or its flip) anew
    dataset=dict(_delete_=True, type='LatentCacheDataset', cache_dir=cache_root + '/train', image_size=32),
)
val_dataloader = dict(dataset=dict(_delete_=True, type='LatentCacheDataset', cache_dir=cache_root + '/val',
                                   image_size=32, indices=1000))  # fmt: skip
test_dataloader = val_dataloader
_source = 'configs/t2i/dit_p1-byte_fmnist-captions.py'
prerequisites = dict(
    captions=None,
    train_cache=dict(key='train_dataloader.dataset.cache_dir', file='manifest.json', config=_source,
                     command=f'python tools/cache_latents.py {_source} --out {{path}} --flip'),
    val_cache=dict(key='val_dataloader.dataset.cache_dir', file='manifest.json', config=_source,
                   command=f'python tools/cache_latents.py {_source} --out {{path}} --split val'),
)  # fmt: skip
