#!/usr/bin/env bash
# Installs the Debian 12 packages gpusched's build, tests, examples and benchmarks need, and only
# those that are missing: it asks dpkg first and calls apt-get (update + install) only when needed.
set -euo pipefail

packages=(
  cmake ninja-build g++ clang-14 libclang-rt-14-dev
  libeigen3-dev libboost-dev libboost-graph-dev nlohmann-json3-dev
  doctest-dev libbenchmark-dev libcli11-dev python3
)

if ! command -v dpkg >/dev/null 2>&1; then
  echo "install-deps: no dpkg here (not Debian?); install these or their equivalents yourself:" >&2
  echo "  ${packages[*]}" >&2
  exit 1
fi

missing=()
for package in "${packages[@]}"; do
  if ! dpkg -s "$package" 2>/dev/null | grep -q '^Status: install ok installed'; then
    missing+=("$package")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
  else
    echo "install-deps: not root and no sudo; run as root: apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
  "${missing[@]}"
