# The embedded Fashion-MNIST subset (2,000 / 500) for classification: fine-tuning tests and demos.
_base_ = ['./fmnist_mini.py']
val_evaluator = dict(type='Accuracy', topk=(1, 5))
test_evaluator = val_evaluator
