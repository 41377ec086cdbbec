#!/usr/bin/env bash
# Fuzzes the readers (docs/fuzzing.md): builds the libFuzzer targets of
# tests/fuzz with clang in build-fuzz/ (scripts/setup.sh --fuzz, which
# installs clang when missing), runs each for SECONDS under ASan + UBSan
# and prints its executions and findings.
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]   (60 s each, every target)
# Each target starts from its committed corpus and regressions, plus what
# earlier runs found (build-fuzz/corpus/TARGET). A finding (crash, leak,
# time-out, UB, failed invariant) is saved in build-fuzz/findings/TARGET/;
# exit 1 if there is any.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
src=$root/tests/fuzz
build=${CONV_FUZZ_BUILD:-$root/build-fuzz}

secs=60
if [[ ${1:-} =~ ^[0-9]+$ ]]; then
    secs=$1
    shift
fi
if [ "$secs" -lt 1 ]; then
    echo "fuzz.sh: SECONDS must be at least 1, not '$secs'" >&2
    exit 2
fi

"$root/scripts/setup.sh" --fuzz "$build" >/dev/null
all=()
for exe in "$build"/fuzz_*; do
    [ -x "$exe" ] && [ -f "$exe" ] && all+=("${exe##*/fuzz_}")
done
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")
for t in "${targets[@]}"; do
    if [ ! -x "$build/fuzz_$t" ]; then
        echo "fuzz.sh: unknown target '$t' (have: ${all[*]})" >&2
        exit 2
    fi
done

printf '%-8s %8s %14s %9s %8s %9s\n' target seconds executions exec/s corpus \
    findings
bad=()
for t in "${targets[@]}"; do
    work=$build/corpus/$t found=$build/findings/$t log=$build/logs/$t.log
    mkdir -p "$work" "$found" "$build/logs"
    before=$(find "$found" -type f | wc -l)
    args=(-max_total_time="$secs" -print_final_stats=1 -timeout=10
        -rss_limit_mb=2048 -use_value_profile=1 -artifact_prefix="$found/")
    [ -f "$src/$t.dict" ] && args+=(-dict="$src/$t.dict")
    # New inputs go to the first folder; the committed ones stay as they are.
    dirs=("$work" "$src/corpus/$t")
    [ -d "$src/regressions/$t" ] && dirs+=("$src/regressions/$t")
    t0=$SECONDS
    rc=0
    "$build/fuzz_$t" "${args[@]}" "${dirs[@]}" >"$log" 2>&1 || rc=$?
    took=$((SECONDS - t0))
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    new=$(($(find "$found" -type f | wc -l) - before))
    printf '%-8s %8d %14s %9s %8d %9d\n' "$t" "$took" "${execs:-?}" \
        "$(((${execs:-0}) / (took > 0 ? took : 1)))" \
        "$(find "$work" -type f | wc -l)" "$new"
    if [ "$rc" -ne 0 ] || [ "$new" -gt 0 ]; then
        bad+=("$t")
        echo "  $t: exit $rc; $log says:"
        grep -E 'invariant failed|ERROR:|SUMMARY:|runtime error|artifact' \
            "$log" | head -6 | sed 's/^/    /'
    fi
done
if [ ${#bad[@]} -gt 0 ]; then
    echo "fuzz.sh: findings in: ${bad[*]} (reproduce: build-fuzz/fuzz_TARGET FILE)"
    exit 1
fi
echo "fuzz.sh: no findings"
