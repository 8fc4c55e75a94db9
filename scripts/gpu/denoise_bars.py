"""The loop that draws Live Avatar's progress bars, as its pipelines write it (shared/docs/liveavatar.md
§3): per 12-frame block, `for i, t in enumerate(tqdm(timesteps))` over the four denoising steps, on
stderr. Real tqdm, real GPU work between steps; only the step time is short (the 14B model takes far
longer a step, which only makes the doubled final line more likely)."""
import os
import sys
import time

import torch
from tqdm import tqdm

clips = int(sys.argv[1]) if len(sys.argv) > 1 else 2
step_sec = float(sys.argv[2]) if len(sys.argv) > 2 else 0.15
rank = int(os.environ.get("RANK", "0"))
device = "cuda" if torch.cuda.is_available() and rank == 0 else "cpu"
x = torch.randn(1024, 1024, device=device)
timesteps = torch.tensor([1000.0, 750.0, 500.0, 250.0])
print(f"rank {rank}: {clips} clips on {device}", flush=True)
for clip in range(clips):
    for block in range(4):
        for i, t in enumerate(tqdm(timesteps)):
            x = torch.tanh(x @ x.T / 1024)
            if device == "cuda":
                torch.cuda.synchronize()
            time.sleep(step_sec)
print("complete full-sequence generation", flush=True)
