# Improved DDPM on LSUN bedroom 256 (Nichol & Dhariwal, 2021; the LMD paper's Table 3 baseline), from the flags the
# official README gives for LSUN bedroom (openai/improved-diffusion): the same U-Net as DDPM's (128 base channels,
# 2 residual blocks, attention at 16 px, one head, no scale-shift norm, no dropout) with learned variance
# (the hybrid objective: L_simple + the variational bound training only the variance; the bound's λ = 0.001 is the
# 1/T of its per-step mean), the linear schedule over 1000 steps (their LSUN flags; the cosine schedule is their
# 32-64 px choice), Adam lr 1e-4 (their README also lists a 2e-5 run) without weight decay, batch 128, EMA 0.9999.
#   tools/dist_train.sh configs/ddpm/iddpm_unet_lsun-bedroom.py 8     # 8 GPUs x 16 images
_base_ = ['./ddpm_unet_lsun-bedroom.py']
model = dict(denoiser=dict(learn_sigma=True))
train_dataloader = dict(batch_size=16)
optim_wrapper = dict(_delete_=True, type='OptimWrapper', optimizer=dict(type='AdamW', fused=True, lr=1e-4, weight_decay=0.0))
param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=False, begin=0, end=2_400_000)]
