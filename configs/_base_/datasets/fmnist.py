# Full Fashion-MNIST (60k / 10k) from the Debian package `dataset-fashion-mnist`, resized 28 -> 32 px.
_base_ = ['./fmnist_mini.py']
dataset_type = 'FashionMNIST'
data_root = '/usr/share/datasets/fashion-mnist'
train_dataloader = dict(batch_size=128, num_workers=2, persistent_workers=True,
                        dataset=dict(type=dataset_type, data_root=data_root))
val_dataloader = dict(batch_size=500, dataset=dict(type=dataset_type, data_root=data_root))
test_dataloader = val_dataloader
