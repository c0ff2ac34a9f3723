# LMD with a ViT-pico encoder (128 wide, 4 blocks) on 32x32 single-channel inputs, patch 4 -> 64 tokens.
# Pixel space for now (IdentityProjector); the f4 VQ-GAN latent space plugs in through `projector`.
model = dict(
    type='LMD',
    data_preprocessor=dict(type='ImgDataPreprocessor', mean=[127.5], std=[127.5]),  # -> [-1, 1]
    projector=dict(type='IdentityProjector', in_channels=1),
    backbone=dict(type='MAEViT', arch='p', img_size=32, patch_size=4, in_channels=1),
    neck=dict(
        type='MAEPretrainDecoder', grid_size=8, patch_size=4, out_channels=1, in_dim=128, embed_dim=64, depth=2,
        num_heads=4,
    ),
    loss=dict(type='MaskedMSELoss', norm_pix=False),
    mask_scheduler=dict(type='CosineMaskScheduler', min_ratio=0.15, max_ratio=0.75),
    val_mask_ratio=0.75,
)
