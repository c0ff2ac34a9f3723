"""MMEngine's CheckpointHook, holding its saves while NonFiniteGuardHook skips steps."""

from mmengine.hooks import CheckpointHook as MMEngineCheckpointHook

from lmdkit.registry import HOOKS

#: message-hub info key NonFiniteGuardHook sets while a run of skipped steps lasts and saving is held
HOLD_CHECKPOINTS = 'nonfinite_guard/hold_checkpoints'


@HOOKS.register_module(name='CheckpointHook')
class HoldingCheckpointHook(MMEngineCheckpointHook):
    """MMEngine's ``CheckpointHook`` (registered under its name in lmdkit's scope, so ``type='CheckpointHook'``
    builds this one) that does not save while optimiser steps are being skipped for non-finite gradients.

    A step that blew the weights up usually has finite gradients itself; the skips follow. A checkpoint written
    during the skips holds those weights and, once called "the last checkpoint", would be resumed into the same
    failure. ``NonFiniteGuardHook`` raises the ``HOLD_CHECKPOINTS`` flag in the message hub at the first skip and
    lowers it at the next good step (``nonfinite_guard=dict(hold_checkpoints=False)`` turns holding off).
    """

    def _held(self, runner, what: str) -> bool:
        if runner.message_hub.get_info(HOLD_CHECKPOINTS, False):
            runner.logger.warning(f'{what} not saved: optimiser steps are being skipped for non-finite gradients, '
                                  'so the weights may be broken')  # fmt: skip
            return True
        return False

    def _save_checkpoint(self, runner) -> None:
        if not self._held(runner, f'checkpoint at iteration {runner.iter + 1}'):
            super()._save_checkpoint(runner)

    def _save_best_checkpoint(self, runner, metrics) -> None:
        if not self._held(runner, 'best checkpoint'):
            super()._save_best_checkpoint(runner, metrics)
