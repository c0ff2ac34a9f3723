# REPA (Yu et al., 2025) on DiT-XL/2, ImageNet-1k 256 px: dit_xl2_in1k.py plus the alignment of the tokens after
# block 8 of 28 to DINOv2-B's final-norm patch tokens (images resized to 224 px: the same 16x16 grid as DiT's 256
# tokens) through a 3-layer SiLU projector 2048 wide, weight 0.5 — the official defaults (sihyun-yu/REPA README and
# train.py: --enc-type dinov2-vit-b --encoder-depth 8 --proj-coeff 0.5, models/sit.py build_mlp with projector_dim
# 2048). The official code trains SiT (linear interpolant, v-prediction); lmdkit applies the same loss to DiT's
# ε objective. Needs a local Hugging Face copy of facebook/dinov2-base (config.json + model.safetensors).
#   tools/dist_train.sh configs/repa/repa_dit-xl2_in1k.py 8
_base_ = ['../dit/dit_xl2_in1k.py']
model = dict(
    alignment=dict(type='REPALoss', depth=8, projector_dim=2048, loss_weight=0.5,
                   teacher=dict(type='DINOv2Teacher', checkpoint='checkpoints/dinov2-base', arch='b', img_size=224)),  # fmt: skip
)
prerequisites = dict(
    teacher=dict(key='model.alignment.teacher.checkpoint',
                 manual='Fetch facebook/dinov2-base (config.json + model.safetensors) here (docs/model_zoo.md)'),  # fmt: skip
)
