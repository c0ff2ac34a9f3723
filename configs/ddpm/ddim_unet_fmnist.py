# DDIM sampling (η = 0, 50 steps) of the ddpm_unet_fmnist.py model: DDIM changes the sampler, not the training.
#   python tools/sample.py configs/ddpm/ddim_unet_fmnist.py work_dirs/ddpm_unet_fmnist/iter_2000.pth --num 100
_base_ = ['./ddpm_unet_fmnist.py']
model = dict(sampling=dict(sampler='ddim', steps=50, eta=0.0))
