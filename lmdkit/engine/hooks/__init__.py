"""Training hooks (registry ``HOOKS``)."""

from .checkpoint_hook import HOLD_CHECKPOINTS, HoldingCheckpointHook
from .checkpoint_load_hook import CheckpointLoadHook, ResumeError, configure_checkpoint_load
from .exact_resume_hook import ExactResumeHook, RngGatherHook, get_rng_state, set_rng_state
from .interrupt_checkpoint_hook import InterruptCheckpointHook
from .latent_prior_hook import LatentPriorHook
from .nonfinite_guard_hook import NonFiniteGuardHook
from .progress_hook import MaskScheduleHook, ProgressHook, optimizer_progress
from .reconstruction_vis_hook import ReconstructionVisHook
from .sample_vis_hook import SampleVisHook
from .train_record_hook import TrainRecordHook

__all__ = [
    'CheckpointLoadHook',
    'HOLD_CHECKPOINTS',
    'HoldingCheckpointHook',
    'ResumeError',
    'configure_checkpoint_load',
    'ExactResumeHook',
    'RngGatherHook',
    'InterruptCheckpointHook',
    'LatentPriorHook',
    'MaskScheduleHook',
    'ProgressHook',
    'NonFiniteGuardHook',
    'ReconstructionVisHook',
    'SampleVisHook',
    'TrainRecordHook',
    'get_rng_state',
    'optimizer_progress',
    'set_rng_state',
]
