#!/usr/bin/env bash
# Configures and builds one flavour of the tree.
#   scripts/build.sh [release|asan|fuzz] [TARGET...]   (default release) -> build/<flavour>
# With targets, only those are built (test.sh builds only the fuzz targets).
set -euo pipefail
cd "$(dirname "$0")/.."
flavour=${1:-release}
shift || true
targets=()
if [ $# -gt 0 ]; then targets=(--target "$@"); fi
jobs=$(nproc 2>/dev/null || echo 2)
case "$flavour" in
  release) opts=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DTSN_WERROR=ON) ;;
  asan)    opts=(-DCMAKE_BUILD_TYPE=Debug -DTSN_WERROR=ON -DTSN_SANITIZE=ON) ;;
  fuzz)    opts=(-DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang-14 -DTSN_FUZZ=ON -DTSN_SANITIZE=ON) ;;
  *) echo "build.sh: unknown flavour '$flavour' (release, asan or fuzz)" >&2; exit 2 ;;
esac
cmake -S . -B "build/$flavour" "${opts[@]}" >/dev/null
cmake --build "build/$flavour" -j "$jobs" "${targets[@]}" 2>&1 | grep -vE '^\[ *[0-9]+%\]' || true
test "${PIPESTATUS[0]}" -eq 0
