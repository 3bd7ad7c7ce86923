#!/usr/bin/env bash
# Everything CI checks, in order; stops at the first failure with a non-zero exit status:
#   dev preset (g++ 12, -Werror): build + ctest (unit, quickstart, examples, install/consumers)
#   every public header compiled on its own (CMAKE_VERIFY_INTERFACE_HEADER_SETS)
#   clang preset (clang 14, -Werror): build + ctest
#   asan preset (clang 14, ASan + UBSan): build + ctest
#   packaging: Conan recipe and vcpkg port syntax (and `conan create .` when conan is installed)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

start=$SECONDS
summary=()
current=""
trap 'if [ -n "$current" ]; then
        echo "run-tests: FAILED in step: $current (after $((SECONDS - start)) s; passed: ${summary[*]:-none})" >&2
      fi' EXIT

step() {  # step <name> <command...>: runs one step, timing it
  current="$1"
  shift
  local t0=$SECONDS
  echo
  echo "=== $current"
  "$@"
  echo "=== $current: passed in $((SECONDS - t0)) s"
  summary+=("$current $((SECONDS - t0)) s;")
  current=""
}

preset() {  # preset <name>: configure, build and test one CMake preset
  cmake --preset "$1"
  cmake --build --preset "$1"
  ctest --preset "$1" --output-on-failure
}

packaging() {
  PYTHONPYCACHEPREFIX=build/pycache python3 -m py_compile conanfile.py test_package/conanfile.py
  python3 - <<'PY'
import json, re
cmake_version = re.search(r"project\(gpusched\s+VERSION\s+([0-9.]+)",
                          open("CMakeLists.txt").read()).group(1)
port = json.load(open("ports/gpusched/vcpkg.json"))
assert port["name"] == "gpusched", port["name"]
assert port["version"] == cmake_version, \
    f"ports/gpusched/vcpkg.json version {port['version']} != CMakeLists.txt {cmake_version}"
print(f"packaging: conanfile.py, test_package/conanfile.py and vcpkg.json parse; version {cmake_version}")
PY
  local ran=0
  if command -v conan >/dev/null 2>&1; then
    conan profile detect --exist-ok
    conan create . --build=missing
    ran=1
  fi
  if command -v vcpkg >/dev/null 2>&1; then
    echo "packaging: vcpkg found; try the port with: vcpkg install gpusched --overlay-ports=ports"
  fi
  if [ "$ran" -eq 0 ]; then
    echo "conan/vcpkg not installed: recipe syntax checked, tool runs skipped"
  fi
}

step "install-deps" scripts/install-deps.sh
step "dev (g++)" preset dev
step "header self-containment" cmake --build --preset dev-verify-headers
step "clang" preset clang
step "asan+ubsan" preset asan
step "packaging" packaging

echo
echo "run-tests: PASSED in $((SECONDS - start)) s: ${summary[*]}"
