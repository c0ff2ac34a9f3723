# MaskDiT-XL/2 on ImageNet-1k 256x256 (Zheng et al., 2024), on the DiT-XL/2 config's data and SD-VAE latents.
# From the official code (Anima-Lab/MaskDiT): DiT-XL/2 encoder, decoder of 8 blocks of width 512 with 16 heads
# (models/maskdit.py), mask ratio 0.5, MAE loss coefficient 0.1 with normalised patches, class dropout 0.1, no
# learned sigma (configs/train/imagenet256-latent.yaml), Adam with decoupled weight decay 0 at a constant 1e-4,
# 128 images per GPU on 8 GPUs (train_latent.py, README). Not the official: the objective and sampler (EDM's
# preconditioning there, DiT's ε objective here: the MAE target is the noisy input either way, but what it scores
# is the preconditioned denoised output there and the raw ε head here), and the official
# trainer turns masking off for the label-dropped batches. The official pretraining ran ~2M steps before the
# unmasked phase: configs/maskdit/maskdit_dit-xl2_in1k_unmasked-ft.py.
#   tools/dist_train.sh configs/maskdit/maskdit_dit-xl2_in1k.py 8
_base_ = ['../dit/dit_xl2_in1k.py']
model = dict(
    denoiser=dict(type='MaskDiT', learn_sigma=False, decoder_hidden_size=512, decoder_depth=8, decoder_num_heads=16),
    mask_scheduler=dict(type='FixedMaskScheduler', ratio=0.5),
    token_plan=dict(type='DeferredMasking', start=0),
    mae_loss=dict(type='MaskedMSELoss', norm_pix=True, loss_weight=0.1),
    sampling=dict(guide_channels=None),
)
recipe = dict(batch_size=1024)
train_cfg = dict(max_iters=2_000_000, val_interval=100_000)
param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=False, begin=0, end=2_000_000)]
