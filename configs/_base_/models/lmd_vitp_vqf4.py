# LMD in the latent space of the f4 Fashion-MNIST VQGAN (shipped with lmdkit; configs/vqgan/vqgan_f4_fmnist.py
# trains another): 32x32 images -> 8x8x4 quantised latents, patch 1 -> 64 tokens (the same token count as the
# pixel-space "w/o LSP" model).
_base_ = ['./projectors/vqgan_f4_32px.py']
model = dict(
    type='LMD',
    # images -> [-1, 1]; batches of cached latents (LatentCacheDataset) pass through unchanged
    data_preprocessor=dict(type='ImageOrLatentPreprocessor', mean=[127.5], std=[127.5]),
    projector={{_base_.vqgan_f4_32px}},
    backbone=dict(type='MAEViT', arch='p', img_size=8, patch_size=1, in_channels=4),
    neck=dict(
        type='MAEPretrainDecoder', grid_size=8, patch_size=1, out_channels=4, in_dim=128, embed_dim=64, depth=2,
        num_heads=4,
    ),
    loss=dict(type='MaskedMSELoss', norm_pix=False),
    mask_scheduler=dict(type='CosineMaskScheduler', min_ratio=0.15, max_ratio=0.75),
    val_mask_ratio=0.75,
)
