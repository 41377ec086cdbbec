#!/usr/bin/env bash
# Shards, merge and resume (docs/design.md §15), on the binary alone:
#   - verify --shapes default --shard I/3, I = 1..3, merged, has the rows
#     (algo, dir, desc, status) of one unsharded verify, each problem in
#     one shard, and the shards' FLOPs within 2x of each other;
#   - a bench killed by SIGINT and run again with --resume has the rows of
#     one uninterrupted run, each once;
#   - every refusal of merge and --resume exits 2 with its message.
# Algorithms every build has (naive, winograd_f2x3) where it picks them.
# Usage: test_shards.sh CONVBENCH
set -u
set -m # job control: a background job must not start with SIGINT ignored
cb=$1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
py=$(command -v /usr/bin/python3 || command -v python3)
fail=0
bad() { echo "FAILED: $*"; fail=1; }
# expect WHAT CODE PATTERN cmd...: exit code and a stderr line
expect() {
    local what=$1 want=$2 pat=$3
    shift 3
    "$@" >"$tmp/out" 2>&1
    local rc=$?
    if [ $rc -ne "$want" ] || ! grep -Eq -- "$pat" "$tmp/out"; then
        bad "$what: exit $rc (want $want), output lacks /$pat/: $(head -3 "$tmp/out")"
    else
        echo "ok: $what"
    fi
}
rows() { # the sorted (algo, dir, desc, status) rows of CSVs
    "$py" - "$@" <<'PY'
import csv, sys
rows = []
for p in sys.argv[1:]:
    rows += [(r["algo"], r["dir"], r["desc"], r["status"])
             for r in csv.DictReader(open(p, newline=""))]
for r in sorted(rows):
    print("\t".join(r))
PY
}

# ---- shards of the default set, merged ---------------------------------
v=(verify --shapes default --threads 2 --quiet)
"$cb" "${v[@]}" --csv "$tmp/all.csv" >/dev/null
for i in 1 2 3; do
    "$cb" "${v[@]}" --shard $i/3 --csv "$tmp/s$i.csv" >/dev/null
done
expect "merge 3 shards" 0 "3 shard\(s\) of 3" \
    "$cb" merge "$tmp/s1.csv" "$tmp/s3.csv" "$tmp/s2.csv" -o "$tmp/m.csv"
rows "$tmp/all.csv" > "$tmp/a.rows"
rows "$tmp/m.csv" > "$tmp/m.rows"
if cmp -s "$tmp/a.rows" "$tmp/m.rows" && [ -s "$tmp/a.rows" ]; then
    echo "ok: merged shards = one run, row for row ($(wc -l < "$tmp/a.rows") rows)"
else
    bad "merged shards differ from one run: $(diff "$tmp/a.rows" "$tmp/m.rows" | head -5)"
fi
"$py" - "$tmp"/s1.csv "$tmp"/s2.csv "$tmp"/s3.csv <<'PY' || fail=1
import csv, sys
seen, flops = {}, []
for p in sys.argv[1:]:
    f = 0
    probs = {r["desc"]: r for r in csv.DictReader(open(p, newline=""))}
    for d, r in probs.items():
        if d in seen:
            print("FAILED: %s in %s and %s" % (d, seen[d], p)); sys.exit(1)
        seen[d] = p
        n = [int(r[k]) for k in ("n", "oc", "oh", "ow", "ic", "g", "kh", "kw")]
        f += 2 * n[0] * n[1] * n[2] * n[3] * (n[4] // n[5]) * n[6] * n[7]
    flops.append(f)
if max(flops) > 2 * min(flops):
    print("FAILED: shard FLOPs out of balance: %s" % flops); sys.exit(1)
print("ok: every problem in one shard; FLOPs per shard %s" % flops)
PY
grep -q '"shard": "2/3"' "$tmp/s2.csv.meta.json" || bad "meta lacks the shard"
grep -q '"missing_shards": ""' "$tmp/m.csv.meta.json" || bad "merged meta"

# ---- merge refusals --------------------------------------------------------
expect "missing shard" 2 "shard\(s\) 2 of 3 missing" \
    "$cb" merge "$tmp/s1.csv" "$tmp/s3.csv" -o "$tmp/x.csv"
expect "missing shard allowed" 0 "missing 2" \
    "$cb" merge "$tmp/s1.csv" "$tmp/s3.csv" -o "$tmp/x.csv" --allow-missing
grep -q '"missing_shards": "2"' "$tmp/x.csv.meta.json" || bad "meta lacks missing 2"
expect "same shard twice" 2 "the same shard twice" \
    "$cb" merge "$tmp/s1.csv" "$tmp/s1.csv" "$tmp/s2.csv" -o "$tmp/x.csv"
# Shards of other runs: their metas say so (a whole run costs minutes
# under the sanitizers; the refusal reads only the meta).
cp "$tmp/s2.csv" "$tmp/seed.csv"
sed 's/"seed": 1,/"seed": 9,/' "$tmp/s2.csv.meta.json" > "$tmp/seed.csv.meta.json"
expect "other options" 2 "their seed differ" \
    "$cb" merge "$tmp/s1.csv" "$tmp/seed.csv" "$tmp/s3.csv" -o "$tmp/x.csv"
cp "$tmp/s2.csv" "$tmp/four.csv"
sed 's|"shard": "2/3"|"shard": "2/4"|' "$tmp/s2.csv.meta.json" > "$tmp/four.csv.meta.json"
expect "other shard count" 2 "shards of different counts" \
    "$cb" merge "$tmp/s1.csv" "$tmp/four.csv" -o "$tmp/x.csv"
sed 's/"compiler": "[^"]*"/"compiler": "other 1.0"/' "$tmp/s2.csv.meta.json" \
    > "$tmp/build.csv.meta.json"
cp "$tmp/s2.csv" "$tmp/build.csv"
expect "other build" 2 "their compiler differ" \
    "$cb" merge "$tmp/s1.csv" "$tmp/build.csv" "$tmp/s3.csv" -o "$tmp/x.csv"
expect "unsharded file" 2 "not a shard" \
    "$cb" merge "$tmp/all.csv" "$tmp/s2.csv" -o "$tmp/x.csv"
printf 'a,b\n1,2\n' > "$tmp/junk.csv"
expect "not a convbench CSV" 2 "junk.csv: not a convbench CSV" \
    "$cb" merge "$tmp/junk.csv" -o "$tmp/x.csv"
head -3 "$tmp/s1.csv" > "$tmp/dup.csv"; cp "$tmp/s2.csv.meta.json" "$tmp/dup.csv.meta.json"
expect "a row in two shards" 2 "both hold the row" \
    "$cb" merge "$tmp/s1.csv" "$tmp/dup.csv" "$tmp/s3.csv" -o "$tmp/x.csv"
sed 's/"interrupted": false/"interrupted": true/' "$tmp/s2.csv.meta.json" \
    > "$tmp/cut.csv.meta.json"
cp "$tmp/s2.csv" "$tmp/cut.csv"
expect "interrupted shard" 2 "did not finish" \
    "$cb" merge "$tmp/s1.csv" "$tmp/cut.csv" "$tmp/s3.csv" -o "$tmp/x.csv"
expect "no -o" 2 "give the merged file" "$cb" merge "$tmp/s1.csv"
[ ! -e "$tmp/x.csv.tmp"* ] 2>/dev/null || bad "a refused merge left a temporary file"

# ---- interrupt, then --resume ------------------------------------------------
b=(bench --sweep 60 --seed 5 --algo naive,winograd_f2x3 --dir fwd,bwd_d
   --threads 2 --ci 0 --min-ms 5 --min-reps 2 --quiet)
"$cb" "${b[@]}" --csv "$tmp/r.csv" >/dev/null 2>"$tmp/err" &
pid=$!
for _ in $(seq 300); do # until some rows are in, at most 30 s
    [ "$(cat "$tmp"/r.csv.tmp* 2>/dev/null | wc -l)" -ge 6 ] && break
    sleep 0.1
done
kill -INT $pid
wait $pid
rc=$?
[ $rc -eq 130 ] || bad "SIGINT: exit $rc"
grep -q '"interrupted": true' "$tmp/r.csv.meta.json" || bad "not marked interrupted"
before=$(($(wc -l < "$tmp/r.csv") - 1))
"$cb" "${b[@]}" --csv "$tmp/r.csv" --resume >/dev/null 2>&1
rc=$?
[ $rc -le 1 ] || bad "--resume: exit $rc"
"$cb" "${b[@]/bench/verify}" --csv "$tmp/full.csv" >/dev/null 2>&1
cut -f1-3 <(rows "$tmp/r.csv") > "$tmp/r.rows"
cut -f1-3 <(rows "$tmp/full.csv") > "$tmp/f.rows"
if cmp -s "$tmp/r.rows" "$tmp/f.rows" && [ "$before" -gt 0 ] &&
   [ "$before" -lt "$(wc -l < "$tmp/f.rows")" ]; then
    echo "ok: interrupted after $before rows, resumed: the $(wc -l < "$tmp/f.rows") rows of one run"
else
    bad "resumed rows differ from one run ($before before): $(diff "$tmp/r.rows" "$tmp/f.rows" | head -5)"
fi
grep -q '"interrupted": false' "$tmp/r.csv.meta.json" || bad "resumed meta"

# ---- --resume refusals ---------------------------------------------------------
expect "resume: other algorithms" 2 "algos differ" \
    "$cb" "${b[@]/naive,winograd_f2x3/naive}" --csv "$tmp/r.csv" --resume
expect "resume: other directions" 2 "dirs differ" \
    "$cb" "${b[@]/fwd,bwd_d/fwd}" --csv "$tmp/r.csv" --resume
expect "resume: other problems" 2 "problems differ" \
    "$cb" "${b[@]/60/61}" --csv "$tmp/r.csv" --resume
expect "resume: other fill" 2 "fill differ" \
    "$cb" "${b[@]}" --fill int --csv "$tmp/r.csv" --resume
expect "resume: other threads" 2 "threads differ" \
    "$cb" "${b[@]}" --threads 1 --csv "$tmp/r.csv" --resume
sed -i 's/"git_commit": "[^"]*"/"git_commit": "0123"/' "$tmp/r.csv.meta.json"
expect "resume: other build" 2 "git_commit differ" \
    "$cb" "${b[@]}" --csv "$tmp/r.csv" --resume
expect "resume: not a convbench CSV" 2 "not a convbench CSV" \
    "$cb" "${b[@]}" --csv "$tmp/junk.csv" --resume
expect "resume without --csv" 2 "--resume is for verify and bench with --csv" \
    "$cb" "${b[@]}" --resume
exit $fail
