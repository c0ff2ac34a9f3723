# Fine-tune the UM-MAE Swin-pico encoder on full Fashion-MNIST (the recipe of swinp_simmim-pre_fmnist.py: layer-wise
# lr decay over the Swin layer ids, mean of the last-stage tokens). Unmasked, the encoder runs on the full 16x16
# token grid with the window of its pretraining (UM-MAE fine-tunes its Swin-T with a larger window; here every stage
# of the full grid still tiles into 4x4 windows). Pretrain first:
#   python tools/train.py configs/ummae/ummae_swinp_fmnist.py
_base_ = ['./swinp_simmim-pre_fmnist.py']
model = dict(
    backbone=dict(_delete_=True, type='UMMAESwin', img_size=32, patch_size=2, in_channels=1, unit_size=4,
                  embed_dim=32, depths=(2, 2, 2), num_heads=(2, 4, 8), window_size=4, drop_path_rate=0.1,
                  init_cfg=dict(type='PretrainedEncoder', checkpoint='work_dirs/ummae_swinp_fmnist/iter_6000.pth',
                                prefix='backbone.')),  # fmt: skip
)
prerequisites = dict(pretrained=dict(train='configs/ummae/ummae_swinp_fmnist.py'))
