# LMD ViT-B (paper text, arXiv 2312.07971): encoder 12 blocks, decoder 8 blocks (discriminative setting;
# 8/12 for generative), decoder input linear layer encoder width -> decoder width, MSE on masked patches,
# mask ratio 0.15 -> 0.75, no norm_pix (the authors' script turns norm_pix on and subtracts the decoder's
# position embedding: see configs/ablations/lmd_vitb_in1k_script.py).
# Latent space: SD-VAE (ft-MSE, diffusers-format or original LDM weights under checkpoints/sd-vae-ft-mse) maps 224 px
# images in [-1, 1] to 28x28x4 latents (x 0.18215); patch 4 -> 49 tokens.
model = dict(
    type='LMD',
    # images to [-1, 1] as SD-VAE wants; latent-cache records pass through (lmd_vitb_in1k_cache.py)
    data_preprocessor=dict(type='ImageOrLatentPreprocessor', mean=[127.5] * 3, std=[127.5] * 3),
    projector=dict(type='AutoencoderKLProjector', scaling_factor=0.18215, checkpoint='checkpoints/sd-vae-ft-mse'),
    backbone=dict(type='MAEViT', arch='b', img_size=28, patch_size=4, in_channels=4),
    neck=dict(
        type='MAEPretrainDecoder', grid_size=7, patch_size=4, out_channels=4, in_dim=768, embed_dim=512, depth=8,
        num_heads=16,
    ),
    loss=dict(type='MaskedMSELoss', norm_pix=False),
    mask_scheduler=dict(type='CosineMaskScheduler', min_ratio=0.15, max_ratio=0.75),
    val_mask_ratio=0.75,
)
prerequisites = dict(
    sd_vae=dict(key='model.projector.checkpoint', manual='Fetch stabilityai/sd-vae-ft-mse here (docs/model_zoo.md)'),
)
