"""Weight initialisers reachable from configs: a backbone's weights from a pretrained checkpoint."""

from .pretrained_encoder import PretrainedEncoderInit, load_encoder_weights

__all__ = ['PretrainedEncoderInit', 'load_encoder_weights']
