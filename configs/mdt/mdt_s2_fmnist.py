# MDT (v1) counterpart of mdtv2_s2_fmnist.py: 8 plain blocks, the last 2 decoder blocks (the v1 paper's split), a
# fixed mask ratio of 0.3 (MDT v1) and no Min-SNR weighting.
_base_ = ['./mdtv2_s2_fmnist.py']
model = dict(
    denoiser=dict(version=1, decode_layers=2),
    diffusion=dict(min_snr_gamma=None),
    mask_scheduler=dict(_delete_=True, type='FixedMaskScheduler', ratio=0.3),
    sampling=dict(cfg_scale=2.0, cfg_schedule='constant'),
)
