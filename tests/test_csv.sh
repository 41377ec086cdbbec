#!/usr/bin/env bash
# The CSV has docs/design.md §7's fixed columns in order (dir after algo,
# §14), one row per algorithm x direction x problem, numbers where numbers
# belong, a parseable .meta.json, and --sgemm-ref rates on backward rows.
set -u
cb=$1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
py=$(command -v /usr/bin/python3 || command -v python3)
"$cb" bench --desc 'mb1ic4ih8oc4kh3ph1n"a,b"' --desc mb2ic3iw20oc2kw5sw2 \
    --desc mb1ic3id4ih4iw4oc4kd3kh3kw3 --min-ms 1 --min-reps 2 --threads 2 \
    --sgemm-ref --csv "$tmp/r.csv" --quiet || { echo "bench failed"; exit 1; }
nalgo=$("$cb" list | awk '$2 == "available"' | wc -l)
"$py" - "$tmp/r.csv" "$nalgo" <<'PY'
import csv, json, math, sys
path, nalgo = sys.argv[1], int(sys.argv[2])
fixed = ("algo,dir,impl,name,desc,n,g,ic,ih,iw,oc,oh,ow,kh,kw,sh,sw,pt,pb,pl,pr,"
         "dil_h,dil_w,bias,threads,status,reason,plan_ms,min_ms,median_ms,"
         "mean_ms,stddev_ms,reps,gflops,workspace_bytes,max_abs_err,"
         "max_rel_err,tolerance").split(",")
rows = list(csv.reader(open(path, newline="")))
head, body = rows[0], rows[1:]
errors = []
if head[:len(fixed)] != fixed:
    errors.append("header %s does not start with the fixed columns" % head)
if len(body) != 3 * nalgo:
    errors.append("%d rows, expected %d" % (len(body), 3 * nalgo))
for r in body:
    if len(r) != len(head):
        errors.append("row of %d fields: %s" % (len(r), r))
        continue
    d = dict(zip(head, r))
    if d["dir"] != "fwd":
        errors.append("dir %r without --dir" % d["dir"])
    if d["status"] not in ("PASSED", "FAILED", "UNSUPPORTED", "ERROR"):
        errors.append("bad status %r" % d["status"])
    if d["status"] == "PASSED":
        for k in ("plan_ms", "min_ms", "median_ms", "mean_ms", "stddev_ms",
                  "gflops", "max_abs_err", "max_rel_err", "tolerance"):
            v = float(d[k])
            if not math.isfinite(v) or v < 0:
                errors.append("%s=%s in %s" % (k, d[k], d["algo"]))
        if int(d["reps"]) < 2:
            errors.append("reps %s < --min-reps" % d["reps"])
        if float(d["min_ms"]) > float(d["median_ms"]):
            errors.append("min above median")
        # Every plan holds at least its copy of the weights.
        if int(d.get("plan_alloc_bytes") or 0) <= 0:
            errors.append("plan_alloc_bytes %r in %s"
                          % (d.get("plan_alloc_bytes"), d["algo"]))
    elif d["status"] != "PASSED" and not d["reason"]:
        errors.append("%s row without reason" % d["status"])
names = {r[head.index("name")] for r in body}
if "a,b" not in names:
    errors.append("quoted name with a comma did not survive: %s" % names)
unsup = [r for r in body if "id4" in r[head.index("desc")]]
if not all(r[head.index("status")] == "UNSUPPORTED" for r in unsup) or not unsup:
    errors.append("3D rows are not UNSUPPORTED")
meta = json.load(open(path + ".meta.json"))
for k in ("cpu_model", "cores", "threads", "blas_core", "compiler",
          "git_commit", "date", "command", "sgemm_gflops"):
    if k not in meta:
        errors.append("meta lacks %s" % k)
if meta.get("threads") != 2:
    errors.append("meta threads %r" % meta.get("threads"))
for e in errors:
    print("FAILED:", e)
print("csv: %d rows checked, %d errors" % (len(body), len(errors)))
sys.exit(1 if errors else 0)
PY
[ $? -eq 0 ] || exit 1
# --dir all: a row per direction, problem-major; the bias column says what
# each direction computes (bwd_d and bwd_w none, bwd_wb db).
"$cb" verify --algo naive --dir all --desc mb2ic4ih6oc6kh3sh2 \
    --desc mb1ic3iw9oc2kw3 --threads 2 --quiet --csv "$tmp/d.csv" >/dev/null ||
    { echo "FAILED: verify --dir all"; exit 1; }
"$py" - "$tmp/d.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
got = [(r["dir"], r["bias"], r["status"]) for r in rows]
want = [("fwd", "1", "PASSED"), ("bwd_d", "0", "PASSED"),
        ("bwd_w", "0", "PASSED"), ("bwd_wb", "1", "PASSED")] * 2
if got != want:
    print("FAILED: --dir all rows %s, expected %s" % (got, want))
    sys.exit(1)
print("csv: --dir all gives the 4 directions per problem")
PY
[ $? -eq 0 ] || exit 1
# --sgemm-ref on the backward directions: their rows carry the rate of
# their own GEMM (which M, N, K: test_timing) and sgemm_frac from it. Only
# with OpenBLAS (the meta's 1024^3 rate is 0 without).
"$cb" bench --algo naive --dir bwd_d,bwd_w,bwd_wb --desc mb2ic8ih6oc4kh3ph1 \
    --threads 2 --ci 0 --min-reps 2 --min-ms 0 --sgemm-ref --quiet \
    --csv "$tmp/s.csv" >/dev/null || { echo "FAILED: bench --sgemm-ref"; exit 1; }
"$py" - "$tmp/s.csv" <<'PY'
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
blas = json.load(open(sys.argv[1] + ".meta.json"))["sgemm_gflops"] > 0
errors = []
if [r["dir"] for r in rows] != ["bwd_d", "bwd_w", "bwd_wb"]:
    errors.append("rows %s" % [r["dir"] for r in rows])
for r in rows:
    if not blas:
        if r["sgemm_gflops"] or r["sgemm_frac"]:
            errors.append("%s: an sgemm rate without OpenBLAS" % r["dir"])
        continue
    try:
        sg, fr, gf = (float(r[k]) for k in ("sgemm_gflops", "sgemm_frac",
                                             "gflops"))
    except ValueError:
        errors.append("%s: sgemm_gflops %r, sgemm_frac %r" %
                      (r["dir"], r["sgemm_gflops"], r["sgemm_frac"]))
        continue
    # the CSV rounds each to 4 decimals
    if not sg > 0 or abs(fr - gf / sg) > 1e-4 + 1e-3 * fr:
        errors.append("%s: sgemm_gflops %g, sgemm_frac %g, gflops %g"
                      % (r["dir"], sg, fr, gf))
for e in errors:
    print("FAILED:", e)
print("csv: --sgemm-ref on the backward rows, %d errors%s" %
      (len(errors), "" if blas else " (no OpenBLAS)"))
sys.exit(1 if errors else 0)
PY
