# MDTv2-XL/2 on ImageNet-1k 256x256 (sail-sg/MDT README: decode_layer 4, mask ratio 0.3 (+U(0, 0.2))), 742 M
# parameters with the training-only side-interpolator (718 M used for sampling). FID 1.58 in the paper with
# power-cosine guidance (scale 3.8, power 4) over 250 DDPM steps on the first 3 latent channels.
#   tools/dist_train.sh configs/mdt/mdtv2_xl2_in1k.py 8
_base_ = ['./mdtv2_s2_in1k.py']
model = dict(denoiser=dict(arch='XL', decode_layers=4))
