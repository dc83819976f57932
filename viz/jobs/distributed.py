"""Running under PyTorch's own launcher: `torchrun --nproc-per-node=K -m viz atlas|index ...`.

torchrun sets WORLD_SIZE, RANK and LOCAL_RANK (and the rendezvous address) in each process's environment;
run any other way, the world is one process and nothing here touches torch.distributed. Each rank takes
every K-th unit and renders it on its own device: the GPU of its local rank where there are GPUs (NCCL),
otherwise the CPU (gloo). Work is split by position, not by what is left to do, so ranks that look at the
output folder at slightly different moments still split it the same way.
"""

from __future__ import annotations

import contextlib
import datetime
import os
from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class World:
    rank: int  # this process's place among all of them
    size: int  # how many processes share the work
    device: str  # where this rank computes ("cpu", "cuda:N", ... as models.load takes it)

    @property
    def leader(self) -> bool:
        return self.rank == 0

    def share(self, items: Sequence) -> list:
        """This rank's part of `items`: every size-th item from position rank."""
        return list(items[self.rank::self.size])

    def barrier(self) -> None:
        if self.size > 1:
            dist.barrier()

    def broadcast(self, value):
        """The leader's `value` on every rank (the others' `value` is ignored); sent through the process group."""
        if self.size == 1:
            return value
        box = [value]
        dist.broadcast_object_list(box, src=0)
        return box[0]

    def gather(self, value) -> list | None:
        """Every rank's `value`, in rank order, on the leader (None elsewhere); sent through the process group."""
        if self.size == 1:
            return [value]
        gathered = [None] * self.size if self.leader else None
        dist.gather_object(value, gathered, dst=0)
        return gathered


@contextlib.contextmanager
def world(device: str = "auto"):
    """The World of this process; under torchrun the process group lives for the `with` block.

    `device` is the user's choice; "auto" under torchrun means the GPU of the local rank when there is one.
    """
    size = int(os.environ.get("WORLD_SIZE", "1"))
    rank, local_rank = int(os.environ.get("RANK", "0")), int(os.environ.get("LOCAL_RANK", "0"))
    if size > 1 and device == "auto" and torch.cuda.is_available():
        device = f"cuda:{local_rank % torch.cuda.device_count()}"
    here = World(rank, size, device)
    if size == 1:
        yield here
        return
    on_gpu = device.startswith("cuda")
    if on_gpu:
        torch.cuda.set_device(torch.device(device))
    # A rank that finishes its share early waits at the barrier for the slowest one, which on CPUs can take
    # hours: the default 30-minute collective timeout would kill a healthy run.
    dist.init_process_group("nccl" if on_gpu else "gloo", timeout=datetime.timedelta(hours=48))
    try:
        yield here
    finally:
        dist.destroy_process_group()
