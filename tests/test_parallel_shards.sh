#!/usr/bin/env bash
# What it checks (docs/design.md §15): scripts/parallel-shards.sh, GNU parallel on
# this machine.
# 1. Mechanics, with tests/fake_convbench.sh standing in for convbench: a
#    shard exiting 1 (FAILED rows) is merged and the script exits 1; a
#    broken shard (exit 2) is not merged (exit 3); the same command with
#    --resume then merges (exit 0, and the shards were given --resume).
# 2. The real thing: 3 shards of `verify --shapes default`, two at a time,
#    merged: the same (algo, desc, status) rows as one unsharded verify,
#    every problem in one shard only (tests/shard_check.py), the same exit.
# Usage: test_parallel_shards.sh CONVBENCH SOURCE_DIR
# Skips (77), saying why, without GNU parallel or python3.
set -uo pipefail
cb=$(realpath "$1")
src=$(realpath "$2")
for c in parallel python3; do
    command -v "$c" >/dev/null || {
        echo "SKIP: $c not found (apt-get install parallel python3;" \
            "scripts/setup.sh installs them)"
        exit 77
    }
done
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
fail() {
    echo "FAILED: $*"
    exit 1
}
shards=$src/scripts/parallel-shards.sh
fake=$src/tests/fake_convbench.sh

# expect RC CMD...: run CMD, fail unless it exits RC.
expect() {
    local want=$1 rc=0
    shift
    "$@" || rc=$?
    [ "$rc" -eq "$want" ] || fail "exit $rc, not $want: $*"
}

# 1. Mechanics.
# An argument as the shell and parallel could mangle it.
# shellcheck disable=SC2016 # meant literally
odd='n"it'"'"'s {} {= 1 =} $HOME `x` a;b"'
FAKE_SHARD=2 FAKE_RC=1 expect 1 "$shards" --shards 3 --jobs 3 \
    --out "$t/m1" --bin "$fake" -- verify --desc "$odd"
grep -qxF -- "$odd" "$t/m1/shard-1.csv.args" ||
    fail "the argument $odd did not reach convbench unchanged"
[ "$(grep -c '^fake,' "$t/m1/all.csv")" -eq 3 ] ||
    fail "shard with FAILED rows: not all 3 shards merged"
FAKE_SHARD=2 FAKE_RC=2 expect 3 "$shards" --shards 3 --jobs 3 \
    --out "$t/m2" --bin "$fake" -- verify
[ ! -e "$t/m2/all.csv" ] || fail "merged with a broken shard"
expect 2 "$shards" --shards 3 --out "$t/m2" --bin "$fake" -- verify
expect 0 "$shards" --shards 3 --jobs 3 --out "$t/m2" --bin "$fake" \
    --resume -- verify
[ "$(grep -c '^fake,.*,1$' "$t/m2/all.csv")" -eq 3 ] ||
    fail "--resume: not 3 shards merged, each given --resume"
echo "mechanics: exit 1 merged, broken shard not merged, --resume merged"

# 2. The real thing.
# Two algorithms every build has: the orchestration is under test here;
# the full default set's shards are test_shards.sh's.
args=(verify --shapes default --algo naive,winograd_f2x3 --threads 1 --quiet)
t0=$SECONDS
ref=0
"$cb" "${args[@]}" --csv "$t/ref.csv" || ref=$?
[ "$ref" -le 1 ] || fail "unsharded verify: exit $ref"
echo "unsharded: $((SECONDS - t0)) s, exit $ref"
t0=$SECONDS
expect "$ref" "$shards" --shards 3 --jobs 2 --out "$t/par" --bin "$cb" \
    -- "${args[@]}"
echo "3 shards with parallel: $((SECONDS - t0)) s"
python3 "$src/tests/shard_check.py" "$t/ref.csv" "$t/par/all.csv" \
    "$t/par/shard-"{1,2,3}.csv || fail "merged shards differ from unsharded"
echo "PASSED"
