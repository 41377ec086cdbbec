#!/usr/bin/env bash
# bench --breakdown fills exactly an algorithm's phase_<name>_ms columns on
# its PASSED rows of every direction (non-negative; at one thread summing
# to at least a quarter of the timed min_ms and at most 10x the timed
# median: loose, the machine may be loaded, but phases that miss the work
# or pile up over the runs fail), with the phases a direction never enters
# at 0 and its own phases (a backward pass's kernel side, col2im) taking
# time, leaves them empty for algorithms without phases and without
# --breakdown, reports no broken marks (at 1 and 2 threads), catches a
# backward output (dx, dw, db) that is wrong under the hook (the plugin
# phase_fault), and is refused outside bench. Problems are small: runs
# well under a time slice are rarely preempted.
# usage: test_breakdown.sh CONVBENCH_BINARY PHASE_FAULTS_PLUGIN
set -u
cb=${1:?usage: $0 CONVBENCH_BINARY PHASE_FAULTS_PLUGIN}
fault_so=${2:?usage: $0 CONVBENCH_BINARY PHASE_FAULTS_PLUGIN}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/convbench_breakdown.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
py=/usr/bin/python3
failures=0
# 3x3 (im2col tiles, fft f32), 1x1 grouped (im2col without lowering,
# batched), 1D strided, few taps per output (fft's double path), and 1x1
# stride 2 (dx rows and columns no tap reaches: winograd's zeroed phases);
# every direction.
descs=(--desc 'mb1ic4ih12oc4kh3ph1n"t:3x3"'
       --desc 'g2mb2ic16ih12oc16kh1n"t:1x1"'
       --desc 'mb1ic8iw300oc8kw5sw2pw2n"t:1d"'
       --desc 'mb1ic2ih16oc4kh1n"t:f64"'
       --desc 'mb1ic8ih14oc8kh1sh2n"t:s2"')
for t in 1 2; do
    # the fixed loop, 41 runs: 160 rows on a loaded machine would run on
    # to --max-ms each under the adaptive one
    if ! "$cb" bench --breakdown "${descs[@]}" --dir all --threads $t --ci 0 \
        --min-reps 41 --min-ms 0 --quiet --csv "$tmp/on$t.csv" \
        > "$tmp/on$t.out" 2> "$tmp/on$t.err"; then
        echo "FAIL: bench --breakdown --threads $t failed:"
        cat "$tmp/on$t.out" "$tmp/on$t.err"
        failures=$((failures + 1))
    fi
done
"$cb" bench "${descs[@]}" --dir all --threads 2 --ci 0 --min-reps 2 \
    --min-ms 0 --quiet --csv "$tmp/off.csv" > /dev/null 2>&1 || {
    echo "FAIL: bench without --breakdown failed"
    failures=$((failures + 1))
}
"$py" - "$tmp" <<'PY' || failures=$((failures + 1))
import csv, sys
tmp = sys.argv[1]
PHASES = ["lower", "gemm", "product", "forward", "inverse", "input", "output",
          "reorder_in", "primitive", "reorder_out", "kernel", "col2im"]
COLS = ["phase_%s_ms" % p for p in PHASES]
# The phases each algorithm names (algorithms/*.c), filled in every
# direction. Others: none, or one set on all of their rows.
WG = {"input", "product", "output", "kernel"}
EXPECT = {"naive": set(), "im2col_gemm": {"lower", "gemm", "col2im"},
          "toeplitz": {"product", "kernel"},
          "fft": {"forward", "product", "inverse", "kernel"},
          "onednn": {"reorder_in", "primitive", "reorder_out"},
          "onednn_native": {"primitive"},
          "winograd_f2x3": WG, "winograd_f4x3": WG}
BWD_W = ("bwd_w", "bwd_wb")
# Phases a direction never enters: exactly 0 on every row (the forward's
# weight side is in plan; bwd_w's output is the kernel side).
ZERO = {("im2col_gemm", "fwd"): {"col2im"},
        ("im2col_gemm", "bwd_w"): {"col2im"},
        ("im2col_gemm", "bwd_wb"): {"col2im"},
        ("toeplitz", "fwd"): {"kernel"}, ("fft", "fwd"): {"kernel"},
        ("fft", "bwd_w"): {"inverse"}, ("fft", "bwd_wb"): {"inverse"}}
for a in ("winograd_f2x3", "winograd_f4x3"):
    ZERO[(a, "fwd")] = {"kernel"}
    ZERO.update({(a, d): {"output"} for d in BWD_W})
# Phases that must take time on some row of the direction at one thread
# (one row could be too small to show it): the backward's own work.
POS = {("im2col_gemm", "bwd_d"): {"col2im"},
       ("im2col_gemm", "bwd_w"): {"lower"},
       ("toeplitz", "bwd_d"): {"kernel"}, ("toeplitz", "bwd_w"): {"kernel"},
       ("fft", "bwd_d"): {"kernel"}, ("fft", "bwd_wb"): {"kernel"}}
for a in ("winograd_f2x3", "winograd_f4x3"):
    POS.update({(a, d): {"kernel"} for d in ("bwd_d", "bwd_w", "bwd_wb")})
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
    seen, took, dirs = {}, set(), set()
    for r in rows("on%d.csv" % t):
        a, d = r["algo"], r["dir"]
        where = "%s %s on %s, %d threads" % (a, d, r["name"], t)
        dirs.add(d)
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
        for p in ZERO.get((a, d), ()):
            if vals[p] != 0:
                errors.append("%s: %s %g, a phase %s never enters"
                              % (where, p, vals[p], d))
        took |= {(a, d, p) for p in filled if vals[p] > 0}
        impl = r["impl"]
        if a == "im2col_gemm" and d in ("fwd",) + BWD_W:
            # 1x1 paths read x as the column matrix: no lowering, but for
            # the batched path's copies
            lowers = not impl.startswith("gemm:1x1") or "batched" in impl
            if (vals["lower"] > 0) != lowers:
                errors.append("%s: lower %g on %s" % (where, vals["lower"],
                                                       impl))
        if a == "im2col_gemm" and d == "bwd_d":
            # lower: only the batched path's copies of dy; 1x1 unbatched:
            # the GEMM writes dx itself, no col2im
            if "batched" not in impl and vals["lower"] != 0:
                errors.append("%s: lower %g on %s" % (where, vals["lower"],
                                                       impl))
            if impl.startswith("gemm:1x1-tiles") and vals["col2im"] != 0:
                errors.append("%s: col2im %g on %s" % (where, vals["col2im"],
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
    if dirs != {"fwd", "bwd_d", "bwd_w", "bwd_wb"}:
        errors.append("threads %d: directions %s" % (t, sorted(dirs)))
    for (a, d), want in sorted(POS.items()):
        built = any(r["algo"] == a and r["dir"] == d and r["status"] == "PASSED"
                    for r in rows("on%d.csv" % t))
        for p in want:
            if t == 1 and built and (a, d, p) not in took:
                errors.append("%s %s: %s 0 on every row" % (a, d, p))
    got = {(r["algo"], r["dir"]) for r in rows("on%d.csv" % t)
           if r["status"] == "PASSED" and any(r[c] for c in COLS)}
    print("threads %d: phases filled for %s" % (t, ", ".join(
        "%s %s" % k for k in sorted(got))))
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
# The hooked run's output is checked in every direction: phase_fault is
# right in the timed runs, wrong under the hook in dx, dw, and in bwd_wb
# db alone. Its backward rows stay PASSED with empty phases and the
# reason; its forward's phase is filled.
"$cb" bench --plugin "$fault_so" --algo phase_fault --dir all --breakdown \
    --desc mb2ic4ih6oc4kh3ph1 --threads 1 --ci 0 --min-reps 3 --min-ms 0 \
    --quiet \
    --csv "$tmp/fault.csv" > "$tmp/fault.out" 2>&1 || {
    echo "FAIL: bench of phase_fault failed:"
    cat "$tmp/fault.out"
    failures=$((failures + 1))
}
"$py" - "$tmp/fault.csv" <<'PY' || failures=$((failures + 1))
import csv, sys
rows = {r["dir"]: r for r in csv.DictReader(open(sys.argv[1], newline=""))}
errors = []
for d in ("fwd", "bwd_d", "bwd_w", "bwd_wb"):
    r = rows.get(d)
    if not r or r["status"] != "PASSED":
        errors.append("phase_fault %s: %s" % (d, r and r["status"]))
        continue
    caught = r["reason"].startswith("breakdown: output with the hook has")
    if d == "fwd" and (r["reason"] or r["phase_kernel_ms"] == ""):
        errors.append("phase_fault fwd: reason %r, phase %r"
                      % (r["reason"], r["phase_kernel_ms"]))
    if d != "fwd" and (not caught or r["phase_kernel_ms"] != ""):
        errors.append("phase_fault %s: wrong output under the hook not "
                      "caught: reason %r, phase %r"
                      % (d, r["reason"], r["phase_kernel_ms"]))
for e in errors:
    print("FAIL:", e)
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
