# A small f4 VQGAN for 32x32 single-channel images: 3 levels (32 -> 16 -> 8), base width 32, one residual block
# per level, 512 codes of width 4 -> 8x8x4 latents (64 tokens for LMD with patch 1).
model = dict(
    type='Autoencoder',
    data_preprocessor=dict(type='ImgDataPreprocessor', mean=[127.5], std=[127.5]),
    projector=dict(
        type='VQGANProjector',
        in_channels=1,
        z_channels=32,
        embed_dim=4,
        num_codes=512,
        ch=32,
        ch_mult=(1, 2, 2),
        num_res_blocks=1,
        attn_resolutions=(),
        resolution=32,
        beta=0.25,
        restart_every=50,  # re-seed unused codes from encoder outputs (avoids codebook collapse)
    ),
    discriminator=dict(type='PatchDiscriminator', in_channels=1, base_channels=32, n_layers=2),
    rec_loss='l1',
    codebook_weight=1.0,
    disc_weight=0.1,
    gan_loss='hinge',
    disc_start=100_000,  # set per schedule
)
