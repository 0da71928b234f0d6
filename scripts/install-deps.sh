#!/usr/bin/env bash
# Installs the Debian 12 packages Sprocket builds and tests with, when any is missing.
# Needs root (apt-get). Safe to run again: does nothing when everything is there.
set -euo pipefail
packages=(g++ cmake ninja-build pkg-config libboost1.74-dev libspdlog-dev libleveldb-dev
          nlohmann-json3-dev libgtest-dev libgmock-dev libbenchmark-dev zlib1g-dev)
if [[ "${1:-}" == "--with-node" ]]; then
  command -v node >/dev/null 2>&1 || packages+=(nodejs)
  command -v npm >/dev/null 2>&1 || packages+=(npm)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}"
fi
