#!/usr/bin/env bash
# bench --breakdown fills exactly an algorithm's phase_<name>_ms columns on
# its PASSED rows (non-negative; at one thread summing to at least a
# quarter of the timed min_ms and at most 10x the timed median: loose, the
# machine may be loaded, but phases that miss the work or pile up over the
# runs fail), leaves them empty for algorithms without phases and without
# --breakdown, reports no broken marks (at 1 and 2 threads), and is
# refused outside bench. Problems are small: runs well under a time slice
# are rarely preempted.
# usage: test_breakdown.sh CONVBENCH_BINARY
set -u
cb=${1:?usage: $0 CONVBENCH_BINARY}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/convbench_breakdown.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
py=/usr/bin/python3
failures=0
# 3x3 (im2col tiles, fft f32), 1x1 grouped (im2col without lowering), 1D
# strided, and few taps per output (fft's double path).
descs=(--desc 'mb1ic4ih12oc4kh3ph1n"t:3x3"'
       --desc 'g2mb2ic16ih12oc16kh1n"t:1x1"'
       --desc 'mb1ic8iw300oc8kw5sw2pw2n"t:1d"'
       --desc 'mb1ic2ih16oc4kh1n"t:f64"')
for t in 1 2; do
    if ! "$cb" bench --breakdown "${descs[@]}" --threads $t --min-reps 41 \
        --min-ms 0 --quiet --csv "$tmp/on$t.csv" > "$tmp/on$t.out" \
        2> "$tmp/on$t.err"; then
        echo "FAIL: bench --breakdown --threads $t failed:"
        cat "$tmp/on$t.out" "$tmp/on$t.err"
        failures=$((failures + 1))
    fi
done
"$cb" bench "${descs[@]}" --threads 2 --min-reps 2 --min-ms 0 --quiet \
    --csv "$tmp/off.csv" > /dev/null 2>&1 || {
    echo "FAIL: bench without --breakdown failed"
    failures=$((failures + 1))
}
"$py" - "$tmp" <<'PY' || failures=$((failures + 1))
import csv, sys
tmp = sys.argv[1]
PHASES = ["lower", "gemm", "product", "forward", "inverse", "input", "output",
          "reorder_in", "primitive", "reorder_out"]
COLS = ["phase_%s_ms" % p for p in PHASES]
# What each algorithm's execute() marks (algorithms/*.c). Others: none, or
# one set on all of their rows.
EXPECT = {"naive": set(), "im2col_gemm": {"lower", "gemm"},
          "toeplitz": {"product"}, "fft": {"forward", "product", "inverse"},
          "onednn": {"reorder_in", "primitive", "reorder_out"},
          "onednn_native": {"primitive"},
          "winograd_f2x3": {"input", "product", "output"},
          "winograd_f4x3": {"input", "product", "output"}}
LO, HI = 0.25, 10.0  # sum of phases: above LO x min_ms, below HI x median
errors = []
summed = 0

def rows(name):
    with open("%s/%s" % (tmp, name), newline="") as f:
        r = list(csv.DictReader(f))
    head = open("%s/%s" % (tmp, name)).readline().strip().split(",")
    at = head.index(COLS[0]) if COLS[0] in head else -1
    if at < 0 or head[at:at + len(COLS)] != COLS:
        errors.append("%s: header lacks the run of columns %s" % (name, COLS))
    return r

for t in (1, 2):
    err = open("%s/on%d.err" % (tmp, t)).read()
    if "--breakdown" in err:
        errors.append("threads %d: breakdown warnings:\n%s" % (t, err))
    seen = {}
    for r in rows("on%d.csv" % t):
        a, where = r["algo"], "%s on %s, %d threads" % (r["algo"], r["name"], t)
        filled = {p for p, c in zip(PHASES, COLS) if r[c] != ""}
        if r["status"] != "PASSED":
            if filled:
                errors.append("%s: %s row has phases" % (where, r["status"]))
            continue
        if r["reason"]:
            errors.append("%s: reason %r" % (where, r["reason"]))
        want = EXPECT.get(a, seen.setdefault(a, filled))
        if filled != want:
            errors.append("%s: phases %s, expected %s"
                          % (where, sorted(filled), sorted(want)))
            continue
        vals = {p: float(r["phase_%s_ms" % p]) for p in filled}
        if any(not v >= 0 for v in vals.values()):
            errors.append("%s: negative phase in %s" % (where, vals))
        if filled and not sum(vals.values()) > 0:
            errors.append("%s: all phases 0: %s" % (where, vals))
        if a == "im2col_gemm":
            # 1x1 paths read x as the column matrix: no lowering, but for
            # the batched path's copies
            impl = r["impl"]
            lowers = not impl.startswith("gemm:1x1") or "batched" in impl
            if (vals["lower"] > 0) != lowers:
                errors.append("%s: lower %g on %s" % (where, vals["lower"],
                                                       impl))
        total = sum(vals.values())
        # sub-5us rows: execute's fixed costs outside the phases dominate
        if not (filled and t == 1 and float(r["min_ms"]) >= 0.005):
            continue
        summed += 1
        if not LO * float(r["min_ms"]) <= total <= HI * float(r["median_ms"]):
            errors.append("%s: phases sum to %.4g ms, min_ms %s, median_ms "
                          "%s (%s)" % (where, total, r["min_ms"],
                                       r["median_ms"], vals))
    got = {r["algo"] for r in rows("on%d.csv" % t) if r["status"] == "PASSED"
           and any(r[c] for c in COLS)}
    print("threads %d: phases filled for %s" % (t, ", ".join(sorted(got))))
print("phase sums checked against the timing on %d rows" % summed)
phased = {r["algo"] for r in rows("on1.csv") if EXPECT.get(r["algo"])}
if not phased:
    print("no algorithm with phases is built (backends off): only the "
          "empty columns are checked")
elif summed < 3:
    errors.append("only %d rows large enough to check phase sums" % summed)
for r in rows("off.csv"):
    if any(r[c] for c in COLS):
        errors.append("without --breakdown: %s on %s has phases"
                      % (r["algo"], r["name"]))
for e in errors:
    print("FAIL:", e)
print("breakdown: %d errors" % len(errors))
sys.exit(1 if errors else 0)
PY
"$cb" verify --breakdown --desc mb1ic2ih4oc2kh3 > "$tmp/v.out" 2>&1
rc=$?
if [ $rc -ne 2 ] || ! grep -q -- "--breakdown is only for bench" "$tmp/v.out"
then
    echo "FAIL: verify --breakdown: exit $rc, expected 2 with a message:"
    cat "$tmp/v.out"
    failures=$((failures + 1))
fi
[ $failures -eq 0 ] && echo "test_breakdown: all checks passed"
exit $((failures != 0))
