#!/usr/bin/env bash
# The training example's check proven: with tests/plugins/train_faults.c
# loaded, each faulty algorithm fails the parts that use its faulty pass
# (bwd_w: both parts; bwd_d: part 2 only), naive passes both, exit 1.
# Usage: test_train.sh TRAIN_BINARY TRAIN_FAULTS_PLUGIN
set -u
train=${1:?usage: test_train.sh TRAIN_BINARY PLUGIN}
plugin=${2:?usage: test_train.sh TRAIN_BINARY PLUGIN}
out=$("$train" --plugin "$plugin")
rc=$?
fail=0
expect() { # count, pattern
    local n
    n=$(grep -c -- "$2" <<<"$out")
    if [ "$n" -ne "$1" ]; then
        echo "FAIL: '$2' printed $n times, expected $1"
        fail=1
    fi
}
[ $rc -eq 1 ] || { echo "FAIL: exit $rc with the faulty algorithms, not 1"; fail=1; }
expect 2 "^  train_fault_bwd_w: FAILED at step"
expect 1 "^  train_fault_bwd_d: FAILED at step"
expect 1 "^  train_fault_bwd_d: every step within its bound"
expect 2 "^  naive: every step within its bound"
if [ $fail -ne 0 ]; then
    printf '%s\n' "$out"
    exit 1
fi
grep -E "FAILED at step" <<<"$out"
echo "train: every fault caught, in the parts that use it"
