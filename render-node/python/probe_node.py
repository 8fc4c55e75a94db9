"""What `vt doctor` needs to know from a GPU node's Python, printed as one JSON object.

Runs with the Python that will run Live Avatar. Imports nothing beyond the standard library at the
top: each check says what it found or why not, so one missing package never hides the others.
"""
import importlib
import json
import platform
import shutil
import subprocess
import sys

# What Live Avatar imports at run time (its requirements.txt and shared/docs/liveavatar.md §2).
MODULES = ["flash_attn", "triton", "transformers", "diffusers", "peft", "librosa", "tqdm"]


def module(name):
    try:
        m = importlib.import_module(name)
        return {"version": str(getattr(m, "__version__", "unknown"))}
    except Exception as e:  # ImportError, or a broken build raising anything at import
        return {"missing": f"{type(e).__name__}: {e}".splitlines()[0][:300]}


def compiler():
    # Triton builds its launcher with the C compiler it finds ($CC, then cc/gcc/clang).
    for name in ["gcc", "cc"]:
        path = shutil.which(name)
        if path:
            try:
                out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=20)
                return {"path": path, "version": out.stdout.splitlines()[0] if out.stdout else ""}
            except Exception as e:
                return {"path": path, "error": str(e)[:300]}
    return None


def torch_info():
    try:
        import torch
    except Exception as e:
        return {"missing": f"{type(e).__name__}: {e}".splitlines()[0][:300]}
    info = {"version": torch.__version__, "cuda": torch.version.cuda, "devices": []}
    try:
        info["cudaAvailable"] = bool(torch.cuda.is_available())
        for i in range(torch.cuda.device_count() if info["cudaAvailable"] else 0):
            p = torch.cuda.get_device_properties(i)
            info["devices"].append(
                {"name": p.name, "capability": f"{p.major}.{p.minor}", "totalMiB": p.total_memory // 2**20}
            )
    except Exception as e:
        info["cudaError"] = f"{type(e).__name__}: {e}".splitlines()[0][:300]
    return info


print(
    json.dumps(
        {
            "python": platform.python_version(),
            "executable": sys.executable,
            "torch": torch_info(),
            "modules": {name: module(name) for name in MODULES},
            "compiler": compiler(),
        }
    )
)
