"""Distributed start-up that works without a GPU."""

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
    """Wait for every rank, then tear the group down: a gloo group left alive at interpreter exit aborts
    ("terminate called without an active exception") while rank 0 is still writing its summary."""
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
