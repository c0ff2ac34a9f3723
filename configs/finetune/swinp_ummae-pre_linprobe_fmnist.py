# Linear probe of the UM-MAE Swin-pico encoder on full Fashion-MNIST (as swinp_simmim-pre_linprobe_fmnist.py: frozen,
# mean of the last-stage tokens of the full grid, BatchNorm + linear head). Pretrain with
# configs/ummae/ummae_swinp_fmnist.py.
_base_ = ['./swinp_simmim-pre_linprobe_fmnist.py']
model = dict(
    backbone=dict(_delete_=True, type='UMMAESwin', img_size=32, patch_size=2, in_channels=1, unit_size=4,
                  embed_dim=32, depths=(2, 2, 2), num_heads=(2, 4, 8), window_size=4,
                  init_cfg=dict(type='PretrainedEncoder', checkpoint='work_dirs/ummae_swinp_fmnist/iter_6000.pth',
                                prefix='backbone.')),  # fmt: skip
)
prerequisites = dict(pretrained=dict(train='configs/ummae/ummae_swinp_fmnist.py'))
