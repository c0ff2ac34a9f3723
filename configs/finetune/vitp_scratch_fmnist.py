# The from-scratch baseline of the Fashion-MNIST fine-tuning comparison: the same classifier and schedule as
# vitp_mae-pre_fmnist.py from random weights, without layer-wise lr decay (no pretrained lower layers to keep).
_base_ = [
    '../_base_/models/vitp_p4_cls.py',
    '../_base_/datasets/fmnist_cls.py',
    '../_base_/schedules/finetune_fmnist_1500it.py',
    '../_base_/default_runtime.py',
]
optim_wrapper = dict(paramwise_cfg=dict(layer_decay_rate=1.0))
default_hooks = dict(checkpoint=dict(interval=500), logger=dict(interval=50))
