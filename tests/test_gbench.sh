#!/usr/bin/env bash
# convbench gbench: Google Benchmark flags pass through; JSON output holds a
# GFLOP/s counter per benchmark; unsupported problems are skipped with errors.
set -u
cb=$1
. "$(dirname "$0")/skip_unless.sh"
skip_unless "$cb" gbench
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
py=$(command -v /usr/bin/python3 || command -v python3)
"$cb" gbench --algo naive,winograd_f2x3 --desc mb1ic4ih8oc4kh3ph1 \
    --desc mb1ic3id4ih4iw4oc4kd3kh3kw3 --threads 1 -- \
    --benchmark_min_time=0.01 --benchmark_format=json \
    --benchmark_out="$tmp/out.json" --benchmark_out_format=json >/dev/null ||
    { echo "FAILED: gbench run"; exit 1; }
"$py" - "$tmp/out.json" <<'PY' || exit 1
import json, sys
b = json.load(open(sys.argv[1]))["benchmarks"]
ok = [x for x in b if not x.get("error_occurred")]
err = [x for x in b if x.get("error_occurred")]
assert len(ok) == 2 and all(x["GFLOP/s"] > 0 for x in ok), ok
assert err and all(x["error_message"] for x in err), err
print("gbench: %d ran, %d skipped with error" % (len(ok), len(err)))
PY
"$cb" gbench --algo naive --desc mb1ic4ih8oc4kh3ph1 -- --benchmark_filter=nomatch >/dev/null 2>&1
"$cb" gbench --algo naive --desc mb1ic4ih8oc4kh3ph1 -- --no_such_flag >/dev/null 2>&1
[ $? -eq 2 ] || { echo "FAILED: unknown gbench flag not refused with exit 2"; exit 1; }
echo "gbench: 3 passed, 0 failed"
