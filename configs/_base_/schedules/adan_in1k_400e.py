# LMD pretraining recipe (paper text, arXiv 2312.07971): 2048 images per optimiser step, Adan with base lr
# 1.5e-4 per 256 images and wd 0.05, 400 epochs of which 40 warm up. The authors' script uses base lr 3e-4,
# betas (0.98, 0.92, 0.90), no weight decay, grad clip 10 and 1 warm-up epoch (configs/lmd/lmd_vitb_in1k_script.py).
# At start tools/train.py resolves the recipe for the job's ranks (lmdkit.engine.recipe) and logs one line, e.g. on
# 2 GPUs: `2 ranks × 256 × accumulate 4 = 2,048 images/step; lr 0.0012 (0.00015 × 2048/256); 400 epochs =
# 250,228 iterations (625.6/epoch); LinearLR epochs 0–40 = iterations 0–25,023; CosineAnnealingLR ...`.
# train_dataloader.batch_size (256) is the largest per-rank batch; more per rank is accumulated.
recipe = dict(batch_size=2048, base_lr=1.5e-4, base_batch_size=256, epochs=400)
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='Adan', betas=(0.98, 0.92, 0.99), weight_decay=0.05),  # lr: from the recipe
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0, custom_keys={'pos_embed': dict(decay_mult=0.0),
                                                                              'cls_token': dict(decay_mult=0.0),
                                                                              'mask_token': dict(decay_mult=0.0)}),
)
# in epochs (by_epoch=True): converted to iterations from the dataset length and the images per step
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4, by_epoch=True, begin=0, end=40),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=40, eta_min=0.0),  # to the end
]
train_cfg = dict(type='IterBasedTrainLoop', val_interval=25_000)  # max_iters: recipe.epochs of the training set
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
