# Fine-tune the SimMIM Swin-pico encoder on full Fashion-MNIST with the recipe of vitp_mae-pre_fmnist.py (AdamW,
# layer-wise lr decay 0.75 over SimMIM's Swin layer ids, drop path 0.1, label smoothing 0.1, 1,500 iterations):
# the mean of its last-stage tokens (it has no class token) into the linear head. The classifier's fc_norm follows the
# Swin's own final norm (SimMIM's head has only the latter), as for the ViT recipe's mean pooling. Pretrain first:
#   python tools/train.py configs/simmim/simmim_swinp_fmnist.py
_base_ = ['./vitp_mae-pre_fmnist.py']
model = dict(
    backbone=dict(_delete_=True, type='SimMIMSwin', img_size=32, patch_size=2, in_channels=1, embed_dim=32,
                  depths=(2, 2, 2), num_heads=(2, 4, 8), window_size=4, drop_path_rate=0.1,
                  init_cfg=dict(type='PretrainedEncoder', checkpoint='work_dirs/simmim_swinp_fmnist/iter_6000.pth',
                                prefix='backbone.')),  # fmt: skip
    global_pool='avg',
)
prerequisites = dict(pretrained=dict(train='configs/simmim/simmim_swinp_fmnist.py', minutes=21))
