#!/usr/bin/env bash
# The prepared GPU check, for a lent machine as it is: no Node.js, no network, the working tree plus at most 64 MiB
# of carried files. Pack first, here: `scripts/pack-device.sh` writes .cache/device/chatterbox-device.tar.xz (Node 24,
# the built project with its production dependencies, Debian's Vulkan loader). Then, with the device tool:
#   carry [".cache/device"], command `bash bench/device.sh`, timeout_s 600
# It unpacks the archive, prints what the machine really has (GPU, driver, Vulkan), generates the full-size model
# there and runs bench/device-bench.ts (WebGPU, CUDA where its libraries exist, CPU; step loop beside the fused
# graph; 1/4/16/32 concurrent requests) within about 8 minutes. Usage: device.sh [ARCHIVE]; DEVICE_WORK sets the
# scratch directory, BENCH_* the benchmark (see device-bench.ts).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
archive="${1:-$root/.cache/device/chatterbox-device.tar.xz}"
work="${DEVICE_WORK:-/tmp/chatterbox-device}"
[[ -f "$archive" ]] || {
  echo "no $archive: run scripts/pack-device.sh first and carry .cache/device" >&2
  exit 1
}

echo "== machine"
uname -srm
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || echo "nvidia-smi: none"
nproc

echo "== unpacking $(du -h "$archive" | cut -f1)"
mkdir -p "$work"
tar -xJf "$archive" -C "$work"
cat "$work/manifest.txt"
node="$work/node/bin/node"
"$node" --version

# The carried Vulkan loader only where the machine has none; the NVIDIA driver's ICD file where the loader would not
# look for it (the device images keep it under /usr/local/nvidia).
if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1 '; then
  export LD_LIBRARY_PATH="$work/vulkan/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  echo "Vulkan loader: carried ($(ls "$work/vulkan/usr/lib/x86_64-linux-gnu" | grep -m1 'libvulkan.so.1.'))"
else
  echo "Vulkan loader: the machine's"
fi
if ! ls /usr/share/vulkan/icd.d/*nvidia* /etc/vulkan/icd.d/*nvidia* >/dev/null 2>&1; then
  for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/local/nvidia/icd.d/nvidia_icd.json; do
    if [[ -f "$icd" ]]; then
      export VK_DRIVER_FILES="$icd" VK_ICD_FILENAMES="$icd"
      echo "Vulkan driver: $icd"
      break
    fi
  done
fi
if command -v vulkaninfo >/dev/null; then vulkaninfo --summary 2>&1 | sed -n '/Devices:/,$p' | head -20; else echo "vulkaninfo: none"; fi

echo "== benchmark"
cd "$work"
timeout "${BENCH_TIMEOUT_S:-470}" "$node" app/dist/bench/device-bench.js
