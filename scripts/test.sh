#!/usr/bin/env bash
# Installs what is missing, builds everything and runs the whole test suite with ctest.
# This is the README's test command; .ci/run calls it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --with-node
# Node test drivers (ali-ons) for tests/compat, pinned by package-lock.json.
if [[ -f tests/compat/node/package-lock.json ]]; then
  (cd tests/compat/node && npm ci --no-audit --no-fund --loglevel=error)
fi
cmake -S . -B build-test -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build-test -j2
ctest --test-dir build-test --output-on-failure -j2 --timeout 900
