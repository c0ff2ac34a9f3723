# TREAD DiT-B/2 on ImageNet-1k 256x256 (Krause et al., 2025), on the DiT-XL/2 config's data and SD-VAE latents.
# From the official code (CompVis/tread): DiT-B/2 (configs/model/tread.yaml), one route of half of the tokens
# (selection ratio 0.5) around blocks 2-8 (start_layer_idx 2, end_layer_idx 8 inclusive: stop 9), the block after
# the rejoin in fp32 (dit.py), no learned sigma, AdamW 1e-4 without weight decay, batch 256, class dropout 0.1
# (configs/config.yaml). Not the official: the objective and sampler. TREAD trains with EDM's preconditioning and
# samples with EDM's solver; lmdkit has DiT's ε objective (linear betas, 1000 steps) and its samplers, so this
# config compares the routing itself with DiT under one objective. The paper reports FID at 400k iterations.
#   tools/dist_train.sh configs/tread/tread_dit-b2_in1k.py 8
_base_ = ['../dit/dit_xl2_in1k.py']
model = dict(
    denoiser=dict(arch='B', learn_sigma=False),
    mask_scheduler=dict(type='FixedMaskScheduler', ratio=0.5),
    token_plan=dict(type='TokenRouting', start=2, stop=9),
    sampling=dict(guide_channels=None),  # the official guides every channel
)
