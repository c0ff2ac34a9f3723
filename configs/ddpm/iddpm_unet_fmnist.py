# Improved DDPM's changes on ddpm_unet_fmnist.py: learned variance with the hybrid objective and the cosine schedule
# (its choice at 32-64 px), sampled with 100 respaced steps.
#   python tools/train.py configs/ddpm/iddpm_unet_fmnist.py
_base_ = ['./ddpm_unet_fmnist.py']
model = dict(
    denoiser=dict(learn_sigma=True),
    diffusion=dict(schedule='cosine'),
    sampling=dict(steps=100),
)
