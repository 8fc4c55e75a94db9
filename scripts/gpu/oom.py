"""Runs one way of running out of GPU memory, uncaught, so that the text torch (or torchrun) prints
is recorded as it is. argv[1]: alloc | cublas | kernel | killed."""
import os
import signal
import sys

import torch

how = sys.argv[1]
if how == "killed":
    # What the host's OOM killer does to a rank: SIGKILL, no text.
    print("rank about to be killed", flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
if how == "alloc":
    torch.empty(int(200 * 2**30), dtype=torch.uint8, device="cuda")
# Fill the GPU with the caching allocator, then ask a library that allocates outside it.
a = torch.randn(64, 64, device="cuda")
hold = []
chunk = 2**30
while chunk >= 2**20:
    try:
        hold.append(torch.empty(chunk, dtype=torch.uint8, device="cuda"))
    except torch.OutOfMemoryError:
        chunk //= 2
print(f"filled: {sum(h.numel() for h in hold) / 2**30:.2f} GiB held", flush=True)
if how == "cublas":
    torch.cuda.empty_cache()  # nothing cached to give back: every byte is held
    print((a @ a).sum().item())
if how == "kernel":
    print(torch.fft.fft(a).abs().sum().item())
