# LMD ViT-B, lmdkit's default, which mixes its sources (configs/lmd/lmd_vitb_in1k_paper.py and
# configs/lmd/lmd_vitb_in1k_script.py each follow one):
#   from the paper text (arXiv 2312.07971): encoder 12 blocks, decoder 8 blocks (discriminative setting; 8/12 for
#   generative), decoder input linear layer encoder width -> decoder width, MSE on masked patches, mask ratio
#   0.15 -> 0.75;
#   from the authors' code: the SD-VAE latent space (224 px in [-1, 1] -> 28x28x4) and patch 4 (49 tokens);
#   lmdkit's own: the ft-MSE SD-VAE weights (diffusers or LDM format under checkpoints/sd-vae-ft-mse) with the
#   0.18215 scale, no norm_pix and the decoder's position table added (the paper text subtracts it, negative SPE;
#   configs/ablations/lmd_vitp_fmnist_neg-spe.py measures the difference on Fashion-MNIST).
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
