"""An infinite sampler that tells the dataset which epoch each index belongs to, and can start anywhere."""

from typing import Iterator, Optional, Sized, Tuple

import numpy as np
from mmengine.dist import get_dist_info, sync_random_seed
from torch.utils.data import Sampler

from lmdkit.registry import DATA_SAMPLERS


@DATA_SAMPLERS.register_module()
class EpochInfiniteSampler(Sampler):
    """MMEngine's ``InfiniteSampler`` stream (one permutation per epoch, ranks take every ``world_size``-th
    position), yielding ``(index, epoch)`` pairs.

    A dataset that accepts such keys (``LatentCacheDataset``) draws its per-item randomness — flip, posterior
    sample — from (seed, epoch, index), so what a sample looks like depends neither on the worker that loads it
    nor on the number of ranks, and a resumed run sees exactly what an uninterrupted one would.
    :meth:`set_start` jumps to a position without reading the data before it (resuming at iteration 200k must not
    load 200k batches); ``AccumulatingTrainLoop`` calls it on resume.

    Args:
        dataset: the dataset (only its length is used).
        shuffle: a new permutation every epoch, from (seed, epoch); else the dataset order.
        seed: shared by all ranks; None draws one and agrees on it across ranks, as MMEngine's samplers do.
    """

    def __init__(self, dataset: Sized, shuffle: bool = True, seed: Optional[int] = None) -> None:
        self.rank, self.world_size = get_dist_info()
        self.size = len(dataset)
        if self.size == 0:
            raise ValueError('EpochInfiniteSampler: the dataset is empty')
        self.shuffle = shuffle
        self.seed = sync_random_seed() if seed is None else int(seed)
        self.position = 0  # items of this rank's stream already handed out

    def order(self, epoch: int) -> np.ndarray:
        """The dataset indices of ``epoch`` in the order all ranks together visit them."""
        if not self.shuffle:
            return np.arange(self.size)
        return np.random.default_rng([self.seed, epoch]).permutation(self.size)

    def set_start(self, position: int) -> None:
        """Continue this rank's stream at ``position`` (items already consumed by this rank)."""
        self.position = int(position)

    def __iter__(self) -> Iterator[Tuple[int, int]]:
        while True:
            # this rank's item p is item p·W + r of the stream over all ranks
            global_pos = self.position * self.world_size + self.rank
            epoch, offset = divmod(global_pos, self.size)
            order = self.order(epoch)
            for i in range(offset, self.size, self.world_size):
                self.position += 1
                yield int(order[i]), epoch
            # the next epoch's first position of this rank follows from the updated position

    def __len__(self) -> int:
        return self.size
