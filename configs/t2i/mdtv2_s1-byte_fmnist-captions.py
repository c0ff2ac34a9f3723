# Text-to-image MDTv2 on captioned Fashion-MNIST: dit_p1-byte_fmnist-captions.py with mdtv2_s2_fmnist.py's denoiser
# and objective (full + masked pass, r ~ U(0.3, 0.5), Min-SNR-5); every encoder, decoder and side-interpolator block
# cross-attends to the caption.
_base_ = ['./dit_p1-byte_fmnist-captions.py']
model = dict(
    denoiser=dict(_delete_=True, type='MDT', arch='S', version=2, hidden_size=192, depth=8, num_heads=4,
                  decode_layers=4, input_size=8, patch_size=1, in_channels=4, num_classes=0, text_dim=128,
                  learn_sigma=True),
    diffusion=dict(min_snr_gamma=5.0),
    mask_scheduler=dict(type='RandomRangeMaskScheduler', min_ratio=0.3, max_ratio=0.5),
)  # fmt: skip
