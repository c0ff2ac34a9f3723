# Fine-tune the encoder of latent LMD (f4 VQ-GAN latents, cosine mask schedule) on full Fashion-MNIST; the frozen
# projector stays in front. Pretrain first:
#   python tools/train.py configs/lmd/lmd_vitp_vqf4-fmnist-cache_cos.py
#   python tools/train.py configs/finetune/vitp_lmd-vqf4-pre_fmnist.py \
#       --cfg-options model.backbone.init_cfg.checkpoint=work_dirs/lmd_vitp_vqf4-fmnist-cache_cos/iter_6000.pth
_base_ = [
    '../_base_/models/vitp_vqf4_cls.py',
    '../_base_/datasets/fmnist_cls.py',
    '../_base_/schedules/finetune_fmnist_1500it.py',
    '../_base_/default_runtime.py',
]
model = dict(
    backbone=dict(
        init_cfg=dict(
            type='PretrainedEncoder',
            checkpoint='work_dirs/lmd_vitp_vqf4-fmnist-cache_cos/iter_6000.pth',
            prefix='backbone.',
        )
    )
)
default_hooks = dict(checkpoint=dict(interval=500), logger=dict(interval=50))
prerequisites = dict(
    pretrained=dict(
        key='model.backbone.init_cfg.checkpoint',
        train='configs/lmd/lmd_vitp_vqf4-fmnist-cache_cos.py',
        minutes=22,
    )
)
