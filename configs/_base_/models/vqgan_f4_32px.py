# Training the small f4 VQGAN (architecture in ./projectors/vqgan_f4_32px.py) with a PatchGAN.
_base_ = ['./projectors/vqgan_f4_32px.py']
model = dict(
    type='Autoencoder',
    data_preprocessor=dict(type='ImgDataPreprocessor', mean=[127.5], std=[127.5]),
    projector={{_base_.vqgan_f4_32px}},  # a training config sets checkpoint=None (see vqgan_f4_fmnist.py)
    discriminator=dict(type='PatchDiscriminator', in_channels=1, base_channels=32, n_layers=2),
    rec_loss='l1',
    codebook_weight=1.0,
    disc_weight=0.1,
    gan_loss='hinge',
    disc_start=100_000,  # set per schedule
)
