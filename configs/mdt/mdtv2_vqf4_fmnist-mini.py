# MDTv2 out of the box: dit_vqf4_fmnist-mini.py (embedded subset, shipped f4 VQ-GAN, 600 iterations, width 128)
# with the MDTv2 denoiser and objective of mdtv2_s2_fmnist.py at pico size (1 + 1 encoder blocks with a long
# shortcut, 2 decoder blocks, side-interpolator; full-input + masked-input loss with r ~ U(0.3, 0.5), Min-SNR-5).
# Needs no prior step.
_base_ = ['../dit/dit_vqf4_fmnist-mini.py']
model = dict(
    denoiser=dict(_delete_=True, type='MDT', arch='p', version=2, decode_layers=2, input_size=8, patch_size=1,
                  in_channels=4, num_classes=10, class_dropout_prob=0.1, learn_sigma=True),
    diffusion=dict(min_snr_gamma=5.0),
    mask_scheduler=dict(type='RandomRangeMaskScheduler', min_ratio=0.3, max_ratio=0.5),
)
custom_hooks = [
    dict(type='EMAHook', ema_type='SyncFreeEMA', momentum=1e-2, update_buffers=True),
    dict(type='SampleVisHook', interval=0, num_per_class=8),
]
