# Linear probe of the UM-MAE ViT-pico encoder on full Fashion-MNIST (the MAE probe protocol of
# vitp_mae-pre_linprobe_fmnist.py): the plain ViT loads the pretrained encoder and leaves out UM-MAE's
# secondary-masking token, which only pretraining uses. Pretrain with configs/ummae/ummae_vitp_fmnist.py.
_base_ = ['./vitp_mae-pre_linprobe_fmnist.py']
model = dict(backbone=dict(init_cfg=dict(checkpoint='work_dirs/ummae_vitp_fmnist/iter_6000.pth')))
prerequisites = dict(pretrained=dict(train='configs/ummae/ummae_vitp_fmnist.py'))
