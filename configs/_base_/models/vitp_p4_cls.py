# Image classifier for 32x32 single-channel images: ViT-pico (128 wide, 4 blocks, patch 4 -> 64 tokens), the
# encoder of the pixel-space LMD/MAE pretraining configs, with MAE's fine-tuning head (global average pool +
# fc_norm, the encoder's final norm unused) and drop path 0.1.
model = dict(
    type='ImageClassifier',
    data_preprocessor=dict(type='ClsDataPreprocessor', mean=[127.5], std=[127.5], num_classes=10),
    projector=dict(type='IdentityProjector', in_channels=1),
    backbone=dict(
        type='MAEViT', arch='p', img_size=32, patch_size=4, in_channels=1, final_norm=False, drop_path_rate=0.1
    ),
    global_pool='avg',
    head=dict(type='LinearClsHead', num_classes=10, init_std=2e-5),
    loss=dict(type='CrossEntropyLoss', label_smoothing=0.1),
)
