# LMD ViT-B/ImageNet-1k pretraining, lmdkit's default: 2048 images per step, Adan base lr 1.5e-4 per 256, 400 epochs
# (the paper text's recipe, configs/_base_/schedules/adan_in1k_400e.py) in the authors' code's SD-VAE latent space
# (configs/_base_/models/lmd_vitb_in1k.py says which choice comes from where; lmd_vitb_in1k_paper.py follows the
# paper text throughout, lmd_vitb_in1k_script.py the authors' script), on any number of GPUs (the log's `recipe:`
# line says how):
#   tools/dist_train.sh configs/lmd/lmd_vitb_in1k.py 8     # 8 x 256 = 2048 images per step
#   tools/dist_train.sh configs/lmd/lmd_vitb_in1k.py 2     # 2 x 256 x accumulate 4
_base_ = [
    '../_base_/models/lmd_vitb_in1k.py',
    '../_base_/datasets/in1k.py',
    '../_base_/schedules/adan_in1k_400e.py',
    '../_base_/default_runtime.py',
]
train_record = dict(flush_interval=200)  # TrainRecordHook: write the record every 200 iterations
custom_hooks = [
    dict(type='ReconstructionVisHook', interval=25_000, num_images=8),
]
default_hooks = dict(checkpoint=dict(interval=5000), logger=dict(interval=100))
