# Image classifier on the f4 VQ-GAN latents of 32x32 Fashion-MNIST images: the frozen projector of latent LMD in
# front of its ViT-pico encoder (8x8x4 latents, patch 1 -> 64 tokens); MAE's fine-tuning head.
_base_ = ['./projectors/vqgan_f4_32px.py']
model = dict(
    type='ImageClassifier',
    data_preprocessor=dict(type='ClsDataPreprocessor', mean=[127.5], std=[127.5], num_classes=10),
    projector={{_base_.vqgan_f4_32px}},
    backbone=dict(
        type='MAEViT', arch='p', img_size=8, patch_size=1, in_channels=4, final_norm=False, drop_path_rate=0.1
    ),
    global_pool='avg',
    head=dict(type='LinearClsHead', num_classes=10, init_std=2e-5),
    loss=dict(type='CrossEntropyLoss', label_smoothing=0.1),
)
