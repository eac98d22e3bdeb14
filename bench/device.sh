#!/usr/bin/env bash
# Prepared GPU check (run with the device tool on a lent GPU machine): installs, generates the full-size
# model and prints tokens/s on CUDA, WebGPU and CPU. Finishes within about 8 minutes.
# CUDA needs onnxruntime-node's CUDA provider libraries, which its install script downloads
# (npm run install-cuda); on a machine without network the CUDA row says unavailable.
set -euo pipefail
cd "$(dirname "$0")/.."
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
if [ ! -d node_modules/onnxruntime-node ]; then npm ci --no-audit --no-fund; else npm run build --silent; fi
[ -f node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime_providers_cuda.so ] ||
  npm run --silent install-cuda >/dev/null 2>&1 || echo "CUDA provider libraries not downloaded (no network?)"
BENCH_TOKENS="${BENCH_TOKENS:-200}" timeout 420 node dist/bench/device-bench.js
