# mdtv2_xl2_in1k.py on cached SD-VAE latents (256 px: resize + centre crop as the official code, plus the flipped
# copy; posterior mean and log-variance, so the denoiser trains, as DiT/MDT's official code does, on a posterior
# sample drawn per item and epoch — model.projector.sample_posterior=False trains on the mode instead):
#   torchrun --nproc_per_node 8 tools/cache_latents.py configs/mdt/mdtv2_xl2_in1k.py --out data/imagenet_latents/sd-vae-256 \
#       --flip --launcher pytorch
#   tools/dist_train.sh configs/mdt/mdtv2_xl2_in1k_cache.py 8
_base_ = ['./mdtv2_xl2_in1k.py']
train_dataloader = dict(
    num_workers=4,
    sampler=dict(type='EpochInfiniteSampler', shuffle=True),
    dataset=dict(_delete_=True, type='LatentCacheDataset', cache_dir='data/imagenet_latents/sd-vae-256', image_size=256),
)
prerequisites = dict(
    train_cache=dict(
        key='train_dataloader.dataset.cache_dir',
        file='manifest.json',
        # on GPUs: torchrun --nproc_per_node N tools/cache_latents.py ... (every rank encodes its own shards)
        command='python tools/cache_latents.py configs/mdt/mdtv2_xl2_in1k.py --out {path} --flip',
        config='configs/mdt/mdtv2_xl2_in1k.py',
    )
)
