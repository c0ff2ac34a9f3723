# Analogue of the LMD paper's Table 2 on full Fashion-MNIST (CPU): how fast encoders fine-tune after equal
# wall-clock pretraining budgets (~440 s each on 2 cores): latent LMD (f4 VQ-GAN, cosine schedule, 2,000
# iterations on the latent cache) vs pixel MAE (fixed 0.75, 2,600 iterations), and a from-scratch classifier.
# Each encoder is then fine-tuned (1,500 iterations, MAT@1 from the validation every 250) and linearly probed.
# Needs the latent cache of the shipped f4 VQ-GAN (python tools/prepare.py on a variant's config).
#   python tools/ablate.py configs/ablations/grids/finetune_fmnist_table2.py
work_root = 'work_dirs/ablations/finetune_fmnist_table2'
_lmd_ckpt = work_root + '/pre-lmd/iter_2000.pth'
_mae_ckpt = work_root + '/pre-mae/iter_2600.pth'
_pre = {'custom_hooks.ReconstructionVisHook.interval': 0}
variants = [
    dict(name='pre-lmd', config='configs/lmd/lmd_vitp_vqf4-fmnist-cache_cos.py',
         cfg_options={**_pre, 'train_cfg.max_iters': 2000, 'train_cfg.val_interval': 2000,
                      'param_scheduler.1.end': 2000, 'default_hooks.checkpoint.interval': 1000}),
    dict(name='pre-mae', config='configs/mae/mae_vitp_fmnist.py',
         cfg_options={**_pre, 'train_cfg.max_iters': 2600, 'train_cfg.val_interval': 2600,
                      'param_scheduler.1.end': 2600, 'default_hooks.checkpoint.interval': 2600}),
    dict(name='ft-lmd', config='configs/finetune/vitp_lmd-vqf4-pre_fmnist.py',
         cfg_options={'model.backbone.init_cfg.checkpoint': _lmd_ckpt}),
    dict(name='ft-mae', config='configs/finetune/vitp_mae-pre_fmnist.py',
         cfg_options={'model.backbone.init_cfg.checkpoint': _mae_ckpt}),
    dict(name='ft-scratch', config='configs/finetune/vitp_scratch_fmnist.py'),
    dict(name='probe-lmd', config='configs/finetune/vitp_lmd-vqf4-pre_linprobe_fmnist.py',
         cfg_options={'model.backbone.init_cfg.checkpoint': _lmd_ckpt}),
    dict(name='probe-mae', config='configs/finetune/vitp_mae-pre_linprobe_fmnist.py',
         cfg_options={'model.backbone.init_cfg.checkpoint': _mae_ckpt}),
]
