# Full Fashion-MNIST (60k / 10k, Debian package `dataset-fashion-mnist`) for classification: 28 -> 32 px,
# horizontal flips; top-1/top-5 accuracy on the test set.
_base_ = ['./fmnist.py']
train_dataloader = dict(batch_size=128)
val_dataloader = dict(batch_size=500)
test_dataloader = val_dataloader
val_evaluator = dict(type='Accuracy', topk=(1, 5))
test_evaluator = val_evaluator
