#!/usr/bin/env bash
# Long runs: --progress shows rows done, elapsed and ETA on stderr; SIGINT
# and SIGTERM leave a CSV of complete rows and a .meta.json marked
# interrupted, exit 130 / 143, and leave no temporary file.
set -u
set -m # job control: a background job must not start with SIGINT ignored
cb=$1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
py=$(command -v /usr/bin/python3 || command -v python3)
fail=0

"$cb" verify --desc mb1ic4ih8oc4kh3 --desc mb1ic2ih6oc2kh1 --algo naive \
    --threads 2 --quiet --progress 2>"$tmp/err" >/dev/null ||
    { echo "FAILED: verify --progress"; fail=1; }
grep -Eq '^\[1/2 rows\] [0-9]+:[0-9]{2} elapsed, ETA [0-9]+:[0-9]{2} ' \
    "$tmp/err" || { echo "FAILED: no progress line with an ETA"; fail=1; }
grep -Eq '^\[2/2 rows\] [0-9]+:[0-9]{2} elapsed$' "$tmp/err" ||
    { echo "FAILED: no final progress line"; fail=1; }
[ "$fail" = 0 ] || cat "$tmp/err"

# The header of a finished run, to compare with.
"$cb" verify --desc mb1ic4ih8oc4kh3 --algo naive --threads 2 --quiet \
    --csv "$tmp/full.csv" >/dev/null || { echo "FAILED: verify --csv"; fail=1; }

for sig in INT TERM; do
    want=$([ $sig = INT ] && echo 130 || echo 143)
    out=$tmp/$sig
    mkdir "$out"
    # Hundreds of rows, each timed for at least 5 ms: far longer than the
    # wait below, so the signal lands mid-run.
    "$cb" bench --sweep 300 --seed 3 --algo naive,winograd_f2x3 --threads 2 \
        --ci 0 --min-ms 5 --min-reps 2 --quiet --csv "$out/r.csv" \
        >/dev/null 2>"$out/err" &
    pid=$!
    for _ in $(seq 200); do # until 2 rows are in, at most 20 s
        [ "$(cat "$out"/r.csv.tmp* 2>/dev/null | wc -l)" -ge 3 ] && break
        sleep 0.1
    done
    kill -$sig $pid
    wait $pid
    rc=$?
    if [ $rc != "$want" ]; then
        echo "FAILED: SIG$sig: exit $rc, expected $want"; cat "$out/err"; fail=1
    fi
    if ls "$out" | grep -q tmp; then
        echo "FAILED: SIG$sig: temporary files left: $(ls "$out")"; fail=1
    fi
    "$py" - "$out/r.csv" "$tmp/full.csv" "$sig" <<'PY' || fail=1
import csv, json, sys
path, full, sig = sys.argv[1:]
errors = []
text = open(path, newline="").read()
if not text.endswith("\n"):
    errors.append("last line is not complete")
rows = list(csv.reader(text.splitlines()))
head = rows[0]
if head != next(csv.reader(open(full, newline=""))):
    errors.append("header differs from a finished run's")
for r in rows[1:]:
    if len(r) != len(head):
        errors.append("row of %d fields, header %d: %s" % (len(r), len(head), r))
    elif r[head.index("status")] not in ("PASSED", "FAILED", "UNSUPPORTED", "ERROR"):
        errors.append("bad status in %s" % r)
meta = json.load(open(path + ".meta.json"))
if meta.get("interrupted") is not True:
    errors.append("meta interrupted = %r" % meta.get("interrupted"))
if meta.get("signal") != {"INT": 2, "TERM": 15}[sig]:
    errors.append("meta signal = %r" % meta.get("signal"))
if meta.get("rows_done") != len(rows) - 1:
    errors.append("meta rows_done %r, CSV has %d" % (meta.get("rows_done"), len(rows) - 1))
if meta.get("rows_planned") != 600:
    errors.append("meta rows_planned %r, expected 600" % meta.get("rows_planned"))
if not 2 <= len(rows) - 1 < 600:
    errors.append("%d rows: not an interrupted run" % (len(rows) - 1))
for k in ("cpu_model", "command", "sgemm_gflops", "seed"):
    if k not in meta:
        errors.append("meta lacks %s" % k)
for e in errors:
    print("FAILED: SIG%s: %s" % (sig, e))
print("SIG%s: %d complete rows kept, %d errors" % (sig, len(rows) - 1, len(errors)))
sys.exit(1 if errors else 0)
PY
done
meta=$(cat "$tmp/full.csv.meta.json")
grep -q '"interrupted": false' <<<"$meta" && grep -q '"rows_done": 1,' <<<"$meta" ||
    { echo "FAILED: a finished run's meta: $meta"; fail=1; }
[ "$fail" = 0 ] && echo "longrun: passed"
exit $fail
