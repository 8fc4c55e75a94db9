"""Times torch.compile's first call (Inductor, max-autotune, as Live Avatar's FP8 linear layers are
compiled) and shows what it prints while it works: the silent stage a hang timer must allow for."""
import sys
import time

import torch


def linear(x, w):
    return torch.nn.functional.gelu(x @ w.T)


x = torch.randn(2048, 5120, device="cuda", dtype=torch.bfloat16)
w = torch.randn(5120, 5120, device="cuda", dtype=torch.bfloat16)
f = torch.compile(linear, mode="max-autotune-no-cudagraphs")
t0 = time.time()
f(x, w)
torch.cuda.synchronize()
first = time.time() - t0
t0 = time.time()
f(x, w)
torch.cuda.synchronize()
print(f"first call {first:.1f} s, second call {time.time() - t0:.4f} s", flush=True)
