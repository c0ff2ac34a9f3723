# LMD's generative setting (paper: 8 encoder / 12 decoder blocks) on LSUN bedroom 256x256: SD-VAE latents
# 32x32x4, patch 4 -> 64 tokens, ViT-B encoder (768 wide, 8 blocks), a 1024-wide 12-block decoder behind the
# latent linear layer 768 -> 1024, cosine mask schedule 0.15 -> 0.75. LatentPriorHook fits the per-position
# latent Gaussian that starts iterative-unmasking sampling (tools/sample.py; docs/diffusion.md).
#   tools/dist_train.sh configs/lmd/lmd_vitb_lsun-bedroom.py 8
_base_ = [
    '../_base_/models/lmd_vitb_in1k.py',
    '../_base_/datasets/lsun_bedroom.py',
    '../_base_/schedules/adan_in1k_400e.py',
    '../_base_/default_runtime.py',
]
model = dict(
    backbone=dict(img_size=32, depth=8),
    neck=dict(grid_size=8, embed_dim=1024, depth=12, num_heads=16),
    sampling=dict(steps=20, start_visible=0.15),
)
train_dataloader = dict(batch_size=128)
val_evaluator = dict(type='MaskedReconstructionMetric')
test_evaluator = val_evaluator
train_record = dict(flush_interval=200)  # TrainRecordHook: write the record every 200 iterations
custom_hooks = [
    dict(type='LatentPriorHook', num_samples=20_000),
    dict(type='ReconstructionVisHook', interval=25_000, num_images=8),
]
default_hooks = dict(checkpoint=dict(interval=5000), logger=dict(interval=100))
