# The Fashion-MNIST latent space: the f4 VQGAN architecture (32 px, 1 channel -> 8x8x4, 512 codes, base width 32,
# one residual block per level) with the weights configs/vqgan/vqgan_f4_fmnist.py trains. Referenced as
# {{_base_.vqgan_f4_32px}} by the VQGAN training base (which starts without weights) and by latent-space LMD.
vqgan_f4_32px = dict(
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
    checkpoint='work_dirs/vqgan_f4_fmnist/iter_4000.pth',
)
