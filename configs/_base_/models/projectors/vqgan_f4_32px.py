# The Fashion-MNIST latent space: the f4 VQGAN architecture (32 px, 1 channel -> 8x8x4, 512 codes, base width 32,
# one residual block per level) with the weights shipped in lmdkit (lmdkit://pretrained/vqgan_f4_fmnist: 4,000
# iterations of configs/vqgan/vqgan_f4_fmnist.py, test PSNR 27.6 dB; its README.md says how it was made). Referenced
# as {{_base_.vqgan_f4_32px}} by the VQGAN training base (which starts without weights) and by every Fashion-MNIST
# latent-space config. To use a VQ-GAN you trained: --cfg-options model.projector.checkpoint=WORK_DIR/iter_4000.pth
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
    checkpoint='lmdkit://pretrained/vqgan_f4_fmnist',
)
