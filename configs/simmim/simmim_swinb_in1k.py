# SimMIM Swin-B pretraining on ImageNet-1k (Xie et al., 2022; LMD's Table 1 row), the settings of mmpretrain's
# simmim_swin-base-w6_8xb256-amp-coslr-100e_in1k-192px.py: 192-px random resized crops (scale 0.67-1), flips, mask
# units of 32 px (the Swin-B encoder stride; 4-px tokens inside) at ratio 0.6, the mask token at masked tokens, a
# linear head predicting each unit's raw pixels, L1 loss on masked pixels, stochastic depth 0.1 (its Swin's default);
# AdamW lr 2e-4 per 512 images (2048 per step), betas (0.9, 0.999), wd 0.05 (none on norms, biases and
# relative-position tables), gradient clip 5, 10 warm-up epochs from 1e-6/2e-4, cosine to 1e-5 per 512 images, 100 epochs.
#   tools/dist_train.sh configs/simmim/simmim_swinb_in1k.py 8
_base_ = ['../_base_/datasets/in1k.py', '../_base_/default_runtime.py']
model = dict(
    type='LMD',  # masked modelling of a projector's space; SimMIM's encoder, head and loss below
    data_preprocessor=dict(type='ImgDataPreprocessor', mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375]),
    projector=dict(type='IdentityProjector', in_channels=3),
    backbone=dict(type='SimMIMSwin', img_size=192, patch_size=4, in_channels=3, embed_dim=128, depths=(2, 2, 18, 2),
                  num_heads=(4, 8, 16, 32), window_size=6, drop_path_rate=0.1),  # fmt: skip
    neck=dict(type='SimMIMLinearDecoder', in_dim=1024, patch_size=32, out_channels=3, skip_tokens=0),
    loss=dict(type='MaskedL1Loss'),
    mask_scheduler=dict(type='FixedMaskScheduler', ratio=0.6),
    val_mask_ratio=0.6,
)
train_dataloader = dict(dataset=dict(pipeline=[
    dict(type='LoadImage', skip_corrupt=True),
    dict(type='RandomResizedCrop', scale=192, crop_ratio_range=(0.67, 1.0), aspect_ratio_range=(3 / 4, 4 / 3),
         interpolation='bilinear'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]))  # fmt: skip
val_dataloader = dict(dataset=dict(pipeline=[
    dict(type='LoadImage'),
    dict(type='Resize', scale=(192, 192), keep_ratio=False, interpolation='bicubic'),
    dict(type='PackInputs'),
]))  # fmt: skip
test_dataloader = val_dataloader
recipe = dict(batch_size=2048, base_lr=2e-4, base_batch_size=512, epochs=100)
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', fused=True, betas=(0.9, 0.999), weight_decay=0.05),  # lr: from the recipe
    clip_grad=dict(max_norm=5.0),
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0,
                       custom_keys={'relative_position_bias_table': dict(decay_mult=0.0)}),  # fmt: skip
)
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6 / 2e-4, by_epoch=True, begin=0, end=10),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=10, eta_min=1e-5 * 2048 / 512),
]
train_cfg = dict(type='IterBasedTrainLoop', val_interval=25_000)  # max_iters: recipe.epochs of the training set
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
train_record = dict(flush_interval=200)
custom_hooks = [dict(type='ReconstructionVisHook', interval=25_000, num_images=8)]
default_hooks = dict(checkpoint=dict(interval=5000), logger=dict(interval=100))
