#!/usr/bin/env bash
# Records, on a GPU host, what the liveavatar engine reads from the real tools: nvidia-smi, the node
# probe `vt doctor` runs, tqdm's bars (one process and five torchrun ranks), torch's and torchrun's
# out-of-memory output, and torch.compile's silent first call. Usage: record-liveavatar-fixtures.sh DIR
set -u
out=${1:?output folder}
mkdir -p "$out"
here=$(cd "$(dirname "$0")" && pwd)
export PYTHONUNBUFFERED=1 NCCL_NVLS_ENABLE=0 TORCH_SYMM_MEM_DISABLE_MULTICAST=1 NVSHMEM_DISABLE_NVLS=1
rec() { # rec NAME COMMAND... : stdout, stderr and the exit code, apart, byte for byte
  local name=$1; shift
  timeout 300 "$@" >"$out/$name.stdout" 2>"$out/$name.stderr"
  echo $? >"$out/$name.rc"
  echo "$name: exit $(cat "$out/$name.rc"), $(wc -c <"$out/$name.stdout") + $(wc -c <"$out/$name.stderr") bytes"
}
fields=index,name,uuid,memory.total,memory.used,memory.free,driver_version,compute_cap,pci.bus_id,utilization.gpu,temperature.gpu,power.draw,power.limit
rec nvidia-smi-query nvidia-smi --query-gpu=$fields --format=csv,noheader,nounits
rec nvidia-smi-topo nvidia-smi topo -m
rec probe-node python3 "$here/../../render-node/python/probe_node.py"
rec uname uname -a
rec bars-single python3 "$here/denoise_bars.py" 2 0.15
rec bars-tpp torchrun --nproc_per_node=5 --master_port=29611 "$here/denoise_bars.py" 1 0.15
rec shards python3 "$here/load_shards.py"
rec oom-alloc python3 "$here/oom.py" alloc
rec oom-alloc-torchrun torchrun --nproc_per_node=1 --master_port=29612 "$here/oom.py" alloc
rec oom-cublas python3 "$here/oom.py" cublas
rec oom-kernel python3 "$here/oom.py" kernel
rec oom-killed-torchrun torchrun --nproc_per_node=1 --master_port=29613 "$here/oom.py" killed
rec compile python3 "$here/compile_probe.py"
