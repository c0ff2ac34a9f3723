# dit_b2-clipl_cc3m.py on a cache: CC3M encoded once by the SD-VAE (posterior mean and log-variance of each image and
# its flip; posterior noise drawn when read) with each caption's frozen CLIP ViT-L/14 embedding beside it
# (tools/cache_latents.py --text: 77 x 768 tokens, mask and pooled vector per caption, fp16), so a step runs neither
# the VAE encoder nor the text tower. The dataset serves the embeddings only while model.text_encoder is the cached
# one (type, weights sha256, settings). Size: about 3.3 M x (2 x 2 x 32 x 32 x 4 + 77 x 768 + 768) x 2 bytes, i.e.
# 108 GB of latents and 390 GB of caption embeddings (docs/projectors.md).
#   python tools/prepare.py configs/t2i/dit_b2-clipl_cc3m-cache.py   (then tools/dist_train.sh with this config)
_base_ = ['./dit_b2-clipl_cc3m.py']
cache_root = 'work_dirs/cache/sdvae_cc3m_clipl'
train_dataloader = dict(
    num_workers=4,
    sampler=dict(type='EpochInfiniteSampler', shuffle=True),  # view and posterior noise drawn per item and epoch
    dataset=dict(_delete_=True, type='LatentCacheDataset', cache_dir=cache_root + '/train', image_size=256),
)
val_dataloader = dict(dataset=dict(_delete_=True, type='LatentCacheDataset', cache_dir=cache_root + '/val',
                                   image_size=256, indices=5000))  # fmt: skip
test_dataloader = val_dataloader
_source = 'configs/t2i/dit_b2-clipl_cc3m.py'
prerequisites = dict(
    train_cache=dict(key='train_dataloader.dataset.cache_dir', file='manifest.json', config=_source,
                     command=f'python tools/cache_latents.py {_source} --out {{path}} --flip --text'),
    val_cache=dict(key='val_dataloader.dataset.cache_dir', file='manifest.json', config=_source,
                   command=f'python tools/cache_latents.py {_source} --out {{path}} --split val --text'),
)  # fmt: skip
