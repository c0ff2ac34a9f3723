"""TREAD (Krause et al., 2025, arXiv 2501.04765): a random share of the tokens skips a span of blocks and rejoins
with the values it had before the span; every token is still predicted and trained on."""

from lmdkit.registry import TOKEN_PLANS

from .base import TokenPlan, TokenRoute


@TOKEN_PLANS.register_module()
class TokenRouting(TokenPlan):
    """Route ``int(N·r)`` random tokens around blocks ``start`` … ``stop − 1``.

    Defaults are the official DiT-B/2 setting (CompVis/tread ``configs/model/tread.yaml``: selection ratio 0.5,
    ``start_layer_idx`` 2, ``end_layer_idx`` 8, inclusive, hence ``stop`` = 9); the ratio itself comes from the
    algorithm's mask scheduler (``FixedMaskScheduler(0.5)``). The official model runs the block after the rejoin
    outside autocast (``fp32_after_rejoin``).
    """

    def __init__(self, start: int = 2, stop: int = 9, fp32_after_rejoin: bool = True) -> None:
        super().__init__(start, stop)
        self.fp32_after_rejoin = fp32_after_rejoin

    def num_kept(self, num_tokens: int, ratio: float) -> int:
        return num_tokens - int(num_tokens * ratio)  # the official router: int(N·r) tokens are routed

    def _route(self, ids_keep) -> TokenRoute:
        return TokenRoute(ids_keep, self.start, self.stop, self.fp32_after_rejoin)
