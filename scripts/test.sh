#!/usr/bin/env bash
# Set up, then build and run the test suite twice: a Release build and an
# AddressSanitizer + UndefinedBehaviorSanitizer build.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
jobs=$(nproc)
"$root/scripts/setup.sh" "$root/build"
"$root/scripts/setup.sh" "$root/build-asan" -DCONV_SANITIZE=ON \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo
echo "== tests: release build"
ctest --test-dir "$root/build" --output-on-failure -j "$jobs"
echo "== tests: sanitizer build"
ctest --test-dir "$root/build-asan" --output-on-failure -j "$jobs"
