# Fine-tune the GreenMIM Swin-pico encoder on full Fashion-MNIST (as swinp_simmim-pre_fmnist.py). Pretrain first:
#   python tools/train.py configs/greenmim/greenmim_swinp_fmnist.py
_base_ = ['./swinp_simmim-pre_fmnist.py']
model = dict(
    backbone=dict(type='GreenMIMSwin',
                  init_cfg=dict(checkpoint='work_dirs/greenmim_swinp_fmnist/iter_6000.pth')),  # fmt: skip
)
prerequisites = dict(pretrained=dict(train='configs/greenmim/greenmim_swinp_fmnist.py', minutes=10))
