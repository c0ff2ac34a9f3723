"""A data preprocessor for models that take images or cached latents."""

from mmengine.model import ImgDataPreprocessor

from lmdkit.registry import MODELS


@MODELS.register_module()
class ImageOrLatentPreprocessor(ImgDataPreprocessor):
    """MMEngine's ``ImgDataPreprocessor`` for image batches; latent-cache records (dicts of tensors from
    ``LatentCacheDataset``) are only moved to the device, with floating fields cast to float32. So a config
    switches between images and a latent cache by its dataset alone. ``mean``/``std`` keep describing the image
    range, which pictures of decoded latents use."""

    def forward(self, data: dict, training: bool = False) -> dict:
        if not isinstance(data.get('inputs'), dict):
            return super().forward(data, training)
        data = self.cast_data(data)
        inputs = {k: v.float() if v.is_floating_point() else v for k, v in data['inputs'].items()}
        return dict(inputs=inputs, data_samples=data.get('data_samples'))
