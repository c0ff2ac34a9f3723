"""Distributed start-up that works without a GPU."""

import gc
import os

import torch
import torch.distributed as dist


def init_distributed(launcher: str, backend: str = '') -> str:
    """Initialise the process group for ``launcher`` ('pytorch' = torchrun; 'slurm' sets env from SLURM vars).

    MMEngine's ``init_dist`` calls ``torch.cuda.set_device`` even on CPU-only machines; here a machine without
    CUDA gets a ``gloo`` group and no device calls. On CUDA the default backend is ``nccl``. Returns the backend.
    """
    if launcher == 'none' or dist.is_initialized():
        return dist.get_backend() if dist.is_initialized() else ''
    if launcher == 'slurm':
        os.environ.setdefault('RANK', os.environ['SLURM_PROCID'])
        os.environ.setdefault('WORLD_SIZE', os.environ['SLURM_NTASKS'])
        os.environ.setdefault('LOCAL_RANK', os.environ['SLURM_LOCALID'])
        os.environ.setdefault('MASTER_PORT', '29500')
        if 'MASTER_ADDR' not in os.environ:
            import subprocess

            nodes = os.environ['SLURM_NODELIST']
            os.environ['MASTER_ADDR'] = subprocess.getoutput(f'scontrol show hostname {nodes} | head -n1')
    elif launcher != 'pytorch':
        raise ValueError(f"launcher must be 'none', 'pytorch' or 'slurm', got {launcher!r}")
    use_cuda = torch.cuda.is_available()
    backend = backend or ('nccl' if use_cuda else 'gloo')
    if use_cuda:
        torch.cuda.set_device(int(os.environ.get('LOCAL_RANK', 0)) % torch.cuda.device_count())
    dist.init_process_group(backend=backend, rank=int(os.environ['RANK']), world_size=int(os.environ['WORLD_SIZE']))
    return backend


def shutdown_distributed() -> None:
    """Wait for every rank, free what still holds the group, then tear it down.

    A gloo group that outlives the interpreter's clean-up aborts the process ("terminate called without an active
    exception"): its worker threads may still own work objects that reference Python tensors. Callers drop their
    runner (whose DDP wrapper keeps the group alive) before calling this; ``gc.collect`` frees cycles that still
    hold it, so the group is really gone when ``destroy_process_group`` returns.
    """
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        gc.collect()
        dist.destroy_process_group()
        gc.collect()


def exit_distributed_process(code: int = 0) -> None:
    """End a rank of a distributed run without running C++ static destructors.

    Even after ``destroy_process_group`` torch's gloo transport can race its own threads during interpreter
    finalisation (seen about once in 20 CI runs on 2 cores). Logs and streams are flushed first, so nothing
    written is lost; single-process runs never call this.
    """
    import logging
    import sys

    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
