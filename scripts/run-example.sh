#!/usr/bin/env bash
# Installs missing dependencies, builds the examples of the `dev` preset and runs the main one,
# build/dev/examples/topology_tour (arguments are passed on to it).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/install-deps.sh
cmake --preset dev
cmake --build --preset dev --target gpusched_examples
exec build/dev/examples/topology_tour "$@"
