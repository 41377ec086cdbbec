#!/usr/bin/env bash
# The test suite over the build matrix (docs/design.md §9):
#   build/          native (-march=native), every suite
#   build-v3/       -march=x86-64-v3 (AVX2+FMA), the correctness suites
#   build-x86-64/   -march=x86-64 (baseline SSE2), the correctness suites
#   build-asan/     AddressSanitizer + UndefinedBehaviorSanitizer, every suite,
#                   and the fuzz targets over their corpus (fuzz_corpus; skipped
#                   without clang: scripts/setup.sh --fuzz)
#   build-min/      every optional backend off, every suite (tests of
#                   compiled-out algorithms or commands skip and say why)
# Usage: scripts/test.sh [BUILD_NAME...]  (default: all five, e.g. `asan v3`)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
jobs=$(nproc)

# name | cmake arguments | ctest arguments
matrix=(
    "native||"
    "v3|-DCONV_ARCH=x86-64-v3|-L correctness"
    "x86-64|-DCONV_ARCH=x86-64|-L correctness"
    "asan|-DCONV_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCONV_FUZZ=ON|"
    "min|-DCONV_WITH_OPENBLAS=OFF -DCONV_WITH_FFTW=OFF -DCONV_WITH_DNNL=OFF -DCONV_WITH_BENCHMARK=OFF|"
)
want=("$@")
selected() { [ ${#want[@]} -eq 0 ] || printf '%s\n' "${want[@]}" | grep -qx "$1"; }
for w in "${want[@]}"; do
    printf '%s\n' "${matrix[@]}" | cut -d'|' -f1 | grep -qx "$w" ||
        { echo "test.sh: unknown build '$w'" >&2; exit 2; }
done

failed=()
for entry in "${matrix[@]}"; do
    IFS='|' read -r name cmake_args ctest_args <<<"$entry"
    selected "$name" || continue
    dir=$root/build-$name; [ "$name" = native ] && dir=$root/build
    t0=$(date +%s)
    # shellcheck disable=SC2086 # the arguments are words
    "$root/scripts/setup.sh" "$dir" $cmake_args
    echo "== tests: $name build ($dir)"
    # shellcheck disable=SC2086
    if ! ctest --test-dir "$dir" --output-on-failure -j "$jobs" $ctest_args; then
        failed+=("$name")
    fi
    echo "== $name build: $(($(date +%s) - t0)) s"
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "test.sh: failed in: ${failed[*]}"
    exit 1
fi
echo "test.sh: every build passed"
