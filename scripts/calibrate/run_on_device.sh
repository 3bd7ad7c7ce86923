#!/usr/bin/env bash
# Run on the device machine: prints what is there, then the torch probe if torch is present.
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm,clocks.max.mem --format=csv || true
command -v nvcc && nvcc --version | tail -1
python3 -c "import torch; print('torch', torch.__version__)" 2>&1 | tail -1
if python3 -c "import torch" 2>/dev/null; then
  timeout 300 python3 "$(dirname "$0")/gpu_probe.py" | tee "${OUT:-/tmp}/gpu_probe.jsonl"
fi
