# lmd_vitb_in1k.py trained on cached SD-VAE latents instead of encoding every image in every step (the encoder costs
# far more than ViT-B on 49 tokens; docs/benchmarks.md). Build the cache once, on any number of GPUs (resumable):
#   torchrun --nproc_per_node 8 tools/cache_latents.py configs/lmd/lmd_vitb_in1k.py --out data/imagenet_latents/sd-vae-224 \
#       --flip --launcher pytorch
# (resize + centre crop 224, the flipped copy, posterior mean and log-variance in fp16: ~32 GB, memory-mapped), then
#   tools/dist_train.sh configs/lmd/lmd_vitb_in1k_cache.py 8
# Each item's view (image or flip) is drawn per epoch from (seed, epoch, index); the projector takes the posterior
# mode, as LMD's authors do (model.projector.sample_posterior=True draws a sample per item and epoch instead).
# A cache made with other projector weights is refused, naming both hashes. Validation still encodes images.
_base_ = ['./lmd_vitb_in1k.py']
train_dataloader = dict(
    num_workers=4,
    sampler=dict(type='EpochInfiniteSampler', shuffle=True),
    dataset=dict(_delete_=True, type='LatentCacheDataset', cache_dir='data/imagenet_latents/sd-vae-224', image_size=224),
)
prerequisites = dict(
    train_cache=dict(
        key='train_dataloader.dataset.cache_dir',
        file='manifest.json',
        # on GPUs: torchrun --nproc_per_node N tools/cache_latents.py ... (every rank encodes its own shards)
        command='python tools/cache_latents.py configs/lmd/lmd_vitb_in1k.py --out {path} --flip',
        config='configs/lmd/lmd_vitb_in1k.py',
    )
)
