# LSP ablation on full Fashion-MNIST (64 tokens each): VQGAN-f4 latents vs pixels, crossed with fixed vs cosine
# ratio. Needs `apt-get install -y dataset-fashion-mnist` (the f4 VQ-GAN is shipped with lmdkit).
#   python tools/ablate.py configs/ablations/grids/lmd_fmnist_lsp.py
grid = dict(
    config='configs/lmd/lmd_vitp_vqf4-fmnist_cos.py',
    axes=dict(
        space=dict(
            latent={},
            pixel={
                'model.projector': dict(type='IdentityProjector', in_channels=1),
                'model.backbone.img_size': 32,
                'model.backbone.patch_size': 4,
                'model.backbone.in_channels': 1,
                'model.neck.patch_size': 4,
                'model.neck.out_channels': 1,
            },
        ),
        ratio=dict(cos={}, fixed={'model.mask_scheduler': dict(type='FixedMaskScheduler', ratio=0.75)}),
    ),
)
cfg_options = {'train_cfg.max_iters': 2000, 'param_scheduler.1.end': 2000, 'train_cfg.val_interval': 500}
work_root = 'work_dirs/ablations/lmd_fmnist_lsp'
