# DDIM on LSUN bedroom 256 (Song et al., 2021; the LMD paper's Table 3 baseline): DDIM trains nothing new — its
# LSUN results sample the DDPM model (ermongroup/ddim configs/bedroom.yml: the same U-Net, linear betas over 1000
# steps, fixed small variance), so this config is ddpm_unet_lsun-bedroom.py with DDIM sampling: η = 0 on a uniform
# subsequence of the 1000 steps (their default skip type), 100 steps by default (their paper sweeps 10-1000:
# model.sampling.steps=S). Their bedroom.yml also trains with EMA 0.999 rather than DDPM's 0.9999.
#   python tools/sample.py configs/ddpm/ddim_unet_lsun-bedroom.py DDPM_CHECKPOINT --num 64
_base_ = ['./ddpm_unet_lsun-bedroom.py']
model = dict(sampling=dict(sampler='ddim', steps=100, eta=0.0))
