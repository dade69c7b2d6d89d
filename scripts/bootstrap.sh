#!/usr/bin/env bash
# Installs the Debian 12 packages Telesono needs to build, run and test, if
# any are missing. Safe to run repeatedly: it does nothing when all are there.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config git
  libwebsockets-dev libsrtp2-dev libssl-dev libjansson-dev libcmocka-dev libsqlite3-dev libpng-dev
  libcairo2-dev
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev libgstreamer-plugins-bad1.0-dev
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
  gstreamer1.0-plugins-ugly gstreamer1.0-libav gstreamer1.0-tools gstreamer1.0-nice
  clang-14 libclang-rt-14-dev iproute2 util-linux jq openssl xvfb xauth
  chromium fonts-liberation
  zlib1g-dev ffmpeg
)
# Node.js and npm run the browser tests (playwright-core from tests/browser).
# Debian's nodejs and npm only when no node or npm is there: a Node.js from
# another packaging bundles its own npm, which Debian's npm would conflict with.
command -v node >/dev/null || PACKAGES+=(nodejs)
command -v npm >/dev/null || PACKAGES+=(npm)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "bootstrap: installing ${#missing[@]} Debian packages: ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then SUDO="sudo"; else
    echo "bootstrap: not root and no sudo: install these packages first: ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "bootstrap: done" >&2
