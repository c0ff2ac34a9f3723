# ViT-B ImageNet-1k fine-tuning (MAE's recipe) from an LMD pretraining (configs/lmd/lmd_vitb_in1k.py, whose
# inputs are scaled to [-1, 1]: the classifier must see the same scaling):
#   tools/dist_train.sh configs/finetune/vitb_lmd-pre_in1k.py 8
_base_ = ['./vitb_mae-pre_in1k.py']
model = dict(
    data_preprocessor=dict(mean=[127.5] * 3, std=[127.5] * 3),
    # the pretraining's frozen SD-VAE in front: the encoder reads 28x28x4 latents in patches of 4 (49 tokens)
    projector=dict(_delete_=True, type='AutoencoderKLProjector', scaling_factor=0.18215,
                   checkpoint='checkpoints/sd-vae-ft-mse'),
    backbone=dict(img_size=28, patch_size=4, in_channels=4,
                  init_cfg=dict(checkpoint='work_dirs/lmd_vitb_in1k/iter_250000.pth')),
)
prerequisites = dict(
    pretrained=dict(_delete_=True, key='model.backbone.init_cfg.checkpoint', train='configs/lmd/lmd_vitb_in1k.py'),
    sd_vae=dict(key='model.projector.checkpoint', manual='Fetch stabilityai/sd-vae-ft-mse here (docs/model_zoo.md)'),
)
