# Deferred masking (MicroDiT; Sehwag et al., 2025) on ImageNet-1k 256x256, class-conditional, on the DiT-XL/2
# config's data and SD-VAE latents. From the official code (SonyResearch/micro_diffusion): mask ratio 0.75 after a
# 6-block patch mixer (MicroDiT_XL_2), loss on the kept tokens, AdamW 2.4e-4 with weight decay 0.1, 2,500 warm-up
# iterations then cosine to 0.33 of the lr over 250k iterations, gradient clipping at norm 0.25, batch 2048
# (configs/res_256_pretrain.yaml). Not the official: MicroDiT is text-to-image with a mixture-of-experts backbone,
# layer-wise scaled widths and EDM's objective; here the backbone is DiT-XL/2 (28 blocks) and the mixer 6 DiT-XL
# blocks in front of it, trained with DiT's ε objective, so the masking itself is what differs from DiT.
# Then the unmasked phase: configs/microdit/deferred_dit-xl2_in1k_unmasked-ft.py.
#   tools/dist_train.sh configs/microdit/deferred_dit-xl2_in1k.py 8
_base_ = ['../dit/dit_xl2_in1k.py']
model = dict(
    denoiser=dict(depth=34),
    mask_scheduler=dict(type='FixedMaskScheduler', ratio=0.75),
    token_plan=dict(type='DeferredMasking', start=6),
)
recipe = dict(batch_size=2048)
optim_wrapper = dict(optimizer=dict(lr=2.4e-4, weight_decay=0.1), clip_grad=dict(max_norm=0.25))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0, end=2500),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=2500, end=250_000, eta_min=0.33 * 2.4e-4),
]
train_cfg = dict(max_iters=250_000, val_interval=25_000)
