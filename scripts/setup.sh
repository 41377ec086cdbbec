#!/usr/bin/env bash
# Set-up on a fresh Debian 12 machine: install what is missing, configure and
# build. Usage: scripts/setup.sh [BUILD_DIR [extra cmake args...]]
#        scripts/setup.sh --packages   (print the package list and exit)
#        scripts/setup.sh --fuzz [BUILD_DIR [cmake args...]]   (the fuzz
#            targets alone, tests/fuzz, with clang in build-fuzz/; with
#            --packages: their list)
# Nothing is assumed beyond a minimal Debian root (debootstrap minbase) with
# git; packages go in without recommends, so every one the build, run.sh or
# the tests read is named here.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

# The one package list of the project.
pkgs=(
    gcc g++ make cmake pkg-config # toolchain; libgomp comes with gcc
    git # the commit in the results' metadata
    libopenblas-dev libfftw3-dev libbenchmark-dev
    libdnnl-dev
    # Debian's dnnl-config.cmake does find_package(OpenCL REQUIRED) and
    # libdnnl-dev only recommends the headers and loader it needs
    ocl-icd-opencl-dev
    python3 python3-matplotlib python3-numpy # scripts/plot.py and tests
    python3-torch python3-torchvision # scripts/model_shapes.py and its test
)

# The fuzz build (scripts/fuzz.sh, docs/fuzzing.md) instead: clang and its
# libFuzzer runtime, which clang-14 only recommends; no backend.
fuzz_pkgs=(cmake make clang-14 libclang-rt-14-dev)

fuzz=false
if [ "${1:-}" = --fuzz ]; then
    fuzz=true
    pkgs=("${fuzz_pkgs[@]}")
    shift
fi
if [ "${1:-}" = --packages ]; then
    printf '%s\n' "${pkgs[@]}"
    exit 0
fi
build=${1:-$root/build}
$fuzz && build=${1:-$root/build-fuzz}
shift || true

missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
        missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        if ! command -v sudo >/dev/null; then
            echo "setup: missing packages, and not root and no sudo to" \
                "install them; as root run" >&2
            echo "  apt-get install --no-install-recommends ${missing[*]}" >&2
            exit 1
        fi
        sudo=(sudo)
    fi
    echo "setup: installing ${missing[*]}"
    t0=$SECONDS
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends "${missing[@]}" >/dev/null
    echo "setup: installed in $((SECONDS - t0))s"
fi

t0=$SECONDS
if $fuzz; then
    cmake -S "$root/tests/fuzz" -B "$build" -DCMAKE_C_COMPILER=clang-14 "$@" \
        >/dev/null
    cmake --build "$build" -j "$(nproc)"
    echo "setup: fuzz targets in $build configured and built in $((SECONDS - t0))s"
    exit 0
fi
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
cmake --build "$build" -j "$(nproc)"
echo "setup: $build configured and built in $((SECONDS - t0))s"
