#!/usr/bin/env bash
# The libFuzzer targets over their committed corpus and regressions, without
# fuzzing (scripts/fuzz.sh fuzzes): every input must pass its target's
# invariants with no crash, leak, time-out or UB report.
# Usage: test_fuzz.sh FUZZ_BUILD_DIR tests/fuzz
set -u
shopt -s nullglob
bin=$1 src=$2
pass=0 fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

for exe in "$bin"/fuzz_*; do
    name=${exe##*/fuzz_}
    if [ ! -d "$src/corpus/$name" ]; then
        echo "FAILED: fuzz_$name has no corpus ($src/corpus/$name)"
        fail=$((fail + 1))
    fi
done
for dir in "$src"/corpus/*/; do
    name=$(basename "$dir")
    exe=$bin/fuzz_$name
    if [ ! -x "$exe" ]; then
        echo "FAILED: corpus/$name has no target ($exe)"
        fail=$((fail + 1))
        continue
    fi
    # Files, not folders: libFuzzer runs each once and writes nothing.
    files=("$dir"* "$src/regressions/$name"/*)
    if [ ${#files[@]} -eq 0 ]; then
        echo "FAILED: corpus/$name is empty"
        fail=$((fail + 1))
        continue
    fi
    log=$(timeout 300 "$exe" -timeout=10 -artifact_prefix="$tmp/" \
        "${files[@]}" 2>&1)
    rc=$?
    if [ $rc -eq 0 ]; then
        echo "fuzz_$name: ${#files[@]} inputs passed"
        pass=$((pass + 1))
    else
        echo "FAILED: fuzz_$name exit $rc on its corpus/regressions:"
        grep -E 'Running:|invariant failed|ERROR:|SUMMARY:|runtime error' \
            <<<"$log" | tail -8
        fail=$((fail + 1))
    fi
done
echo "fuzz corpus: $pass targets passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
