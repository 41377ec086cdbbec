#!/usr/bin/env bash
# convbench summary: exact network totals of tests/data/results_networks.csv
# (worked out by hand: see the note column), the count column, the
# per-layer choice table, a CSV written by convbench bench, and bad input
# (exit 2).
# usage: test_summary.sh CONVBENCH_BINARY REPO_ROOT
set -u
cb=${1:?usage: $0 CONVBENCH_BINARY REPO_ROOT}
root=${2:?usage: $0 CONVBENCH_BINARY REPO_ROOT}
fix=$root/tests/data/results_networks.csv
tmp=$(mktemp -d "${TMPDIR:-/tmp}/convbench_summary.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
failures=0
fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}
# the table lines, spaces squeezed
squeeze() { sed -e 's/  */ /g' -e 's/^ //' -e 's/ $//'; }

# netA: x 3*1 + 4 + 2*0.25 = 7.5 over all 3 layers; y 3*2 + 0.5 = 6.5 (no
# l3 row); z only l3: 2*0.125 (its l1 time FAILED); w never timed; best:
# x on l1 (3), y on l2 (0.5), z on l3 (0.25) = 3.75. netB: conv ties at 10
# (x first wins), c2 passed nowhere, so every total there is incomplete.
cat > "$tmp/want" <<'WANT'
network netA: 3 layers, 6 convolutions (count x median_ms, ms)
algorithm total_ms layers
x 7.500 3/3
y 6.500 2/3 incomplete: 1 layer(s) not verified or untimed, not comparable
z 0.250 1/3 incomplete: 2 layer(s) not verified or untimed, not comparable
w - 0/3 incomplete: 3 layer(s) not verified or untimed, not comparable
best per layer 3.750 3/3
layer count fastest median_ms count x med
netA:l1*3 3 x 1.000 3.000
netA:l2 1 y 0.500 0.500
netA:l3*2 2 z 0.125 0.250

network netB: 2 layers, 6 convolutions (count x median_ms, ms)
algorithm total_ms layers
x 10.000 1/2 incomplete: 1 layer(s) not verified or untimed, not comparable
y 10.000 1/2 incomplete: 1 layer(s) not verified or untimed, not comparable
z - 0/2 incomplete: 2 layer(s) not verified or untimed, not comparable
w - 0/2 incomplete: 2 layer(s) not verified or untimed, not comparable
best per layer 10.000 1/2 incomplete: 1 layer(s) not verified or untimed, not comparable
layer count fastest median_ms count x med
netB:conv 1 x 10.000 10.000
netB:c2*5 5 (none passed) - -

1 problem(s) without a NETWORK: prefix in the name left out
WANT
if "$cb" summary "$fix" --per-layer > "$tmp/out" 2>&1; then
    if squeeze < "$tmp/out" | diff "$tmp/want" - > "$tmp/diff"; then
        echo "ok: totals, per-layer choice, incomplete marks"
    else
        fail "summary --per-layer differs from the expected totals:"
        cat "$tmp/diff"
    fi
else
    fail "summary exited $?:"
    cat "$tmp/out"
fi

# a count column overrides the name's *N: all 1 here, so netA's x total is
# 1 + 4 + 0.25
awk -F, 'BEGIN { OFS = "," } NR == 1 { print $0 ",count"; next }
         /^$/ { print; next } { print $0 ",1" }' "$fix" > "$tmp/count.csv"
"$cb" summary "$tmp/count.csv" > "$tmp/out" 2>&1
if squeeze < "$tmp/out" | grep -qx 'x 5.250 3/3' &&
    squeeze < "$tmp/out" | grep -qx 'best per layer 1.625 3/3'; then
    echo "ok: count column"
else
    fail "count column not used:"
    cat "$tmp/out"
fi

# --choice-out: each layer's fastest verified algorithm, times as written
cat > "$tmp/choice_want" <<'WANT'
desc,name,count,algo,median_ms
"g1mb1ic8ih12iw12oc8oh12ow12kh3kw3sh1sw1ph1pw1dh0dw0n""netA:l1*3""",netA:l1*3,3,x,1.0
"g1mb1ic8ih12iw12oc16oh6ow6kh3kw3sh2sw2ph1pw1dh0dw0n""netA:l2""",netA:l2,1,y,0.5
"g1mb1ic16ih6iw6oc16oh6ow6kh1kw1sh1sw1ph0pw0dh0dw0n""netA:l3*2""",netA:l3*2,2,z,0.125
"g2mb1ic4iw100oc8ow100kw5sw1pw2dw0n""netB:conv""",netB:conv,1,x,10
"g1mb1ic4ih5iw5oc4oh5ow5kh3kw3sh1sw1ph1pw1dh0dw0n""plain""",plain,1,x,1
WANT
if "$cb" summary "$fix" --choice-out "$tmp/choice.csv" > "$tmp/out" 2>&1 &&
    grep -q '5 layers (1 without a verified timing left out)' "$tmp/out" &&
    diff "$tmp/choice_want" "$tmp/choice.csv"; then
    echo "ok: --choice-out"
else
    fail "--choice-out:"
    cat "$tmp/out"
fi
if ls -a "$tmp" | grep -q 'tmp[A-Za-z0-9]\{6\}$'; then
    fail "--choice-out left a temporary file"
fi

# --networks: layers and counts from shape files, timings from the CSV row
# of the same problem (written differently, named differently). m1: x
# 2*1.0 + 0.25, y 2*2.0 (no l3 row), z 0.125, best 2*1.0 + 0.125; its third
# layer is in no CSV row. m2: the netB conv problem 3 times.
cat > "$tmp/m1.shapes" <<'SHAPES'
mb1ic8ih12iw12oc8oh12ow12kh3kw3sh1sw1ph1pw1dh0dw0n"m1:first*2"
mb1ic16ih6oc16kh1n"m1:second"
mb1ic3ih5oc4kh3n"m1:absent"
SHAPES
echo 'g2mb1ic4iw100oc8kw5pw2n"m2:conv*3"' > "$tmp/m2.shapes"
cat > "$tmp/want" <<'WANT'
network m1: 3 layers, 4 convolutions (count x median_ms, ms)
algorithm total_ms layers
x 2.250 2/3 incomplete: 1 layer(s) not verified or untimed, not comparable
y 4.000 1/3 incomplete: 2 layer(s) not verified or untimed, not comparable
z 0.125 1/3 incomplete: 2 layer(s) not verified or untimed, not comparable
w - 0/3 incomplete: 3 layer(s) not verified or untimed, not comparable
best per layer 2.125 2/3 incomplete: 1 layer(s) not verified or untimed, not comparable

network m2: 1 layers, 3 convolutions (count x median_ms, ms)
algorithm total_ms layers
x 30.000 1/1
y 30.000 1/1
z - 0/1 incomplete: 1 layer(s) not verified or untimed, not comparable
w - 0/1 incomplete: 1 layer(s) not verified or untimed, not comparable
best per layer 30.000 1/1

1 layer(s) of the networks have no row in FIX
WANT
sed -i "s|FIX|$fix|" "$tmp/want"
if "$cb" summary "$fix" --networks "$tmp/m1.shapes" --networks "$tmp/m2.shapes" \
    > "$tmp/out" 2>&1 && squeeze < "$tmp/out" | diff "$tmp/want" - > "$tmp/diff"; then
    echo "ok: --networks: shape files' layers, the CSV's timings"
else
    fail "--networks:"
    cat "$tmp/out" "$tmp/diff"
fi
# a set with a SET.d/ directory: every per-model file of it
if "$cb" summary "$fix" --networks torchvision > "$tmp/out" 2>&1 &&
    grep -q '^network resnet50: 23 layers, 53 convolutions' "$tmp/out" &&
    grep -q '^network alexnet: 5 layers' "$tmp/out"; then
    echo "ok: --networks torchvision: every per-model set"
else
    fail "--networks torchvision:"
    head -20 "$tmp/out"
fi

# ---- directions (docs/design.md §14): tests/data/results_dirs.csv has fwd,
# bwd_d and bwd_w rows of algorithms a and b on net:l1*2 and net:l2 (b has
# no bwd_w on l2). By hand: fwd a 2*1 + 2 = 4, b 2*0.5 + 2.5 = 3.5, best
# 2*0.5 (b) + 2 (a) = 3; bwd_d a 2*2 + 4 = 8, b 2*1.5 + 6 = 9, best
# 2*1.5 (b) + 4 (a) = 7; bwd_w a 2*3 + 1 = 7, b 2*4 = 8 over 1/2, best
# 2*3 + 1 = 7 (a both); training step a 2*(1+2+3) + (2+4+1) = 19, b only
# l1: 2*(0.5+1.5+4) = 12 over 1/2, best per layer and direction
# 2*(0.5+1.5+3) + (2+4+1) = 17, below either algorithm's step.
dfix=$root/tests/data/results_dirs.csv
cat > "$tmp/want" <<'WANT'
network net: 2 layers, 3 convolutions (count x median_ms, ms)
fwd: forward
algorithm total_ms layers
a 4.000 2/2
b 3.500 2/2
best per layer 3.000 2/2
layer count fastest median_ms count x med
net:l1*2 2 b 0.500 1.000
net:l2 1 a 2.000 2.000
bwd_d: backward data (dx)
algorithm total_ms layers
a 8.000 2/2
b 9.000 2/2
best per layer 7.000 2/2
layer count fastest median_ms count x med
net:l1*2 2 b 1.500 3.000
net:l2 1 a 4.000 4.000
bwd_w: backward weights (dw)
algorithm total_ms layers
a 7.000 2/2
b 8.000 1/2 incomplete: 1 layer(s) not verified or untimed, not comparable
best per layer 7.000 2/2
layer count fastest median_ms count x med
net:l1*2 2 a 3.000 6.000
net:l2 1 a 1.000 1.000
training step: fwd + bwd_d + bwd_w per layer (bwd_w rows)
algorithm total_ms layers
a 19.000 2/2
b 12.000 1/2 incomplete: 1 layer(s) not verified or untimed, not comparable
best per layer 17.000 2/2

training steps count every layer's bwd_d: a network's first layer needs none, but a shape set cannot tell which layer is first
WANT
if "$cb" summary "$dfix" --per-layer > "$tmp/out" 2>&1 &&
    squeeze < "$tmp/out" | diff "$tmp/want" - > "$tmp/diff"; then
    echo "ok: directions: per-direction totals, training step"
else
    fail "directions: summary --per-layer differs from the expected totals:"
    cat "$tmp/out" "$tmp/diff"
fi
# step TOTALS_FILE: the training step section, squeezed
step() { squeeze < "$1" | sed -n '/^training step:/,/^best per layer/p'; }
# the same timings as bwd_wb rows stand for bwd_w, and the heading says so:
# on l2 alone, then on every layer
sed '/net:l2,/s/,bwd_w,/,bwd_wb,/' "$dfix" > "$tmp/wb1.csv"
sed 's/,bwd_w,/,bwd_wb,/' "$dfix" > "$tmp/wb2.csv"
for c in "wb1:(bwd_w rows; bwd_wb on 1 layer(s) without one)" \
    "wb2:(bwd_wb rows as bwd_w: no layer has a bwd_w row)"; do
    f=${c%%:*} head=${c#*:}
    "$cb" summary "$tmp/$f.csv" > "$tmp/out" 2>&1
    if step "$tmp/out" | grep -qxF "training step: fwd + bwd_d + bwd_w per layer $head" &&
        step "$tmp/out" | grep -qx 'a 19.000 2/2' &&
        step "$tmp/out" | grep -qx 'b 12.000 1/2 .*' &&
        step "$tmp/out" | grep -qx 'best per layer 17.000 2/2' &&
        grep -q '^ bwd_wb: backward weights and bias' "$tmp/out"; then
        echo "ok: bwd_wb as the bwd_w of a layer without one ($f)"
    else
        fail "bwd_wb standing for bwd_w ($f): want $head, a 19, b 12, best 17:"
        cat "$tmp/out"
    fi
done
# a layer with a bwd_w row uses it, not a (slower) bwd_wb row: l1 gets
# bwd_wb rows of 100 ms (its bwd_wb total 2*100), the step stays 19 and 17
awk -F, '{ print } NR > 1 && $2 == "bwd_w" && /net:l1/ {
    sub(/,bwd_w,/, ",bwd_wb,"); sub(/,PASSED,,[0-9.]*,/, ",PASSED,,100,"); print }' \
    "$dfix" > "$tmp/both.csv"
"$cb" summary "$tmp/both.csv" > "$tmp/out" 2>&1
if step "$tmp/out" | grep -qx 'training step: .* (bwd_w rows)' &&
    step "$tmp/out" | grep -qx 'a 19.000 2/2' &&
    step "$tmp/out" | grep -qx 'best per layer 17.000 2/2' &&
    squeeze < "$tmp/out" | grep -qx 'a 200.000 1/2 .*'; then
    echo "ok: bwd_w preferred to bwd_wb where a layer has both"
else
    fail "bwd_w and bwd_wb rows on l1: the step must use bwd_w (a 19, best 17):"
    cat "$tmp/out"
fi
# without bwd_d rows: no step total, said once per network
grep -v ',bwd_d,' "$dfix" > "$tmp/nod.csv"
"$cb" summary "$tmp/nod.csv" > "$tmp/out" 2>&1
if grep -qx ' training step: not totalled, the CSV has no bwd_d rows' "$tmp/out" &&
    ! grep -q 'first layer' "$tmp/out"; then
    echo "ok: no bwd_d rows: no training step"
else
    fail "no bwd_d rows: want 'training step: not totalled':"
    cat "$tmp/out"
fi
# forward rows alone, dir column or not: today's output, no sections
grep -v ',bwd_' "$dfix" > "$tmp/fwd.csv"
cut -d, -f1,3- "$tmp/fwd.csv" > "$tmp/fwd_nodir.csv"
"$cb" summary "$tmp/fwd.csv" --per-layer > "$tmp/out" 2>&1
"$cb" summary "$tmp/fwd_nodir.csv" --per-layer > "$tmp/out2" 2>&1
if cmp -s "$tmp/out" "$tmp/out2" && squeeze < "$tmp/out" | grep -qx 'a 4.000 2/2' &&
    squeeze < "$tmp/out" | grep -qx 'best per layer 3.000 2/2' &&
    ! grep -q 'fwd:\|training step' "$tmp/out"; then
    echo "ok: forward rows with a dir column: the output without one"
else
    fail "forward-only with a dir column differs from without:"
    diff "$tmp/out" "$tmp/out2"
fi
# --choice-out: a dir column appended, a line per layer and direction;
# forward-only: the five columns of before
cat > "$tmp/choice_want" <<'WANT'
desc,name,count,algo,median_ms,dir
"g1mb1ic8ih12iw12oc8oh12ow12kh3kw3sh1sw1ph1pw1dh0dw0n""net:l1*2""",net:l1*2,2,b,0.5,fwd
"g1mb1ic8ih12iw12oc8oh12ow12kh3kw3sh1sw1ph1pw1dh0dw0n""net:l1*2""",net:l1*2,2,b,1.5,bwd_d
"g1mb1ic8ih12iw12oc8oh12ow12kh3kw3sh1sw1ph1pw1dh0dw0n""net:l1*2""",net:l1*2,2,a,3.0,bwd_w
"g1mb1ic8ih12iw12oc16oh6ow6kh3kw3sh2sw2ph1pw1dh0dw0n""net:l2""",net:l2,1,a,2.0,fwd
"g1mb1ic8ih12iw12oc16oh6ow6kh3kw3sh2sw2ph1pw1dh0dw0n""net:l2""",net:l2,1,a,4.0,bwd_d
"g1mb1ic8ih12iw12oc16oh6ow6kh3kw3sh2sw2ph1pw1dh0dw0n""net:l2""",net:l2,1,a,1.0,bwd_w
WANT
if "$cb" summary "$dfix" --choice-out "$tmp/choice.csv" > "$tmp/out" 2>&1 &&
    grep -q '6 (layer, direction) rows (0 without' "$tmp/out" &&
    diff "$tmp/choice_want" "$tmp/choice.csv" &&
    "$cb" summary "$tmp/fwd.csv" --choice-out "$tmp/choice.csv" > "$tmp/out" 2>&1 &&
    grep -q '2 layers (0 without' "$tmp/out" &&
    head -1 "$tmp/choice.csv" | grep -qx 'desc,name,count,algo,median_ms'; then
    echo "ok: --choice-out with directions"
else
    fail "--choice-out with directions:"
    cat "$tmp/out" "$tmp/choice.csv"
fi
# --networks: l1's problem 3 times: a 3*(1+2+3) = 18, b 3*(0.5+1.5+4) = 18,
# best 3*(0.5+1.5+3) = 15
echo 'mb1ic8ih12oc8kh3ph1n"m3:first*3"' > "$tmp/m3.shapes"
"$cb" summary "$dfix" --networks "$tmp/m3.shapes" > "$tmp/out" 2>&1
if [ "$(step "$tmp/out" | tail -3 | tr '\n' '|')" = \
    "a 18.000 1/1|b 18.000 1/1|best per layer 15.000 1/1|" ]; then
    echo "ok: --networks with directions"
else
    fail "--networks with directions: want a 18, b 18, best 15:"
    cat "$tmp/out"
fi

# a CSV as convbench bench writes it: one network, a repeated layer
if "$cb" bench --algo naive --desc 'mb1ic4ih8oc4kh3ph1n"t:a*3"' \
    --desc 'mb1ic4iw40oc4kw5pw2n"t:b"' --min-reps 2 --min-ms 1 --quiet \
    --csv "$tmp/bench.csv" > "$tmp/bench.out" 2>&1; then
    "$cb" summary "$tmp/bench.csv" > "$tmp/out" 2>&1
    # naive's total from the CSV itself (columns by header name): 3 x a + b
    want=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
                    $c["algo"] == "naive" {
                        t += ($c["name"] ~ /\*3$/ ? 3 : 1) * $c["median_ms"] }
                    END { printf "%.3f", t }' "$tmp/bench.csv")
    if squeeze < "$tmp/out" | grep -qx "naive $want 2/2" &&
        grep -q 'network t: 2 layers, 4 convolutions' "$tmp/out"; then
        echo "ok: a convbench bench CSV (naive total $want ms)"
    else
        fail "bench CSV: expected naive $want over 2/2:"
        cat "$tmp/out"
    fi
    "$cb" verify --algo naive --desc 'mb1ic4ih8oc4kh3ph1n"t:a"' --quiet \
        --csv "$tmp/verify.csv" > /dev/null 2>&1
    "$cb" summary "$tmp/verify.csv" > "$tmp/out" 2>&1
    rc=$?
    if [ $rc -ne 2 ] || ! grep -q 'summary needs the CSV of a bench run' "$tmp/out"; then
        fail "verify-only CSV: exit $rc, want 2 with a message"
        cat "$tmp/out"
    else
        echo "ok: verify-only CSV refused (exit 2)"
    fi
else
    fail "convbench bench failed:"
    cat "$tmp/bench.out"
fi

# a convbench bench --dir CSV: naive's training step from the CSV itself,
# count x (fwd + bwd_d + bwd_w) per layer, added in summary's order (the
# rows of a problem come in direction order) so that the doubles agree
if "$cb" bench --algo naive --dir fwd,bwd_d,bwd_w \
    --desc 'mb1ic4ih8oc4kh3ph1n"t:a*3"' --desc 'mb1ic4iw40oc4kw5pw2n"t:b"' \
    --min-reps 2 --min-ms 1 --quiet --csv "$tmp/dirs.csv" > "$tmp/bench.out" 2>&1; then
    "$cb" summary "$tmp/dirs.csv" > "$tmp/out" 2>&1
    want=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
                    $c["algo"] == "naive" {
                        l = $c["name"]
                        if (!(l in s)) order[n++] = l
                        s[l] += $c["median_ms"] }
                    END { for (i = 0; i < n; i++)
                              t += (order[i] ~ /\*3$/ ? 3 : 1) * s[order[i]]
                          printf "%.3f", t }' "$tmp/dirs.csv")
    if step "$tmp/out" | grep -qx "naive $want 2/2"; then
        echo "ok: a convbench bench --dir CSV (naive training step $want ms)"
    else
        fail "bench --dir CSV: expected naive's step $want over 2/2:"
        cat "$tmp/out"
    fi
else
    fail "convbench bench --dir failed:"
    cat "$tmp/bench.out"
fi

# bad input: exit 2 with a message naming what is wrong
expect2() {
    local what=$1 pat=$2
    shift 2
    "$cb" summary "$@" > "$tmp/out" 2>&1
    local rc=$?
    if [ $rc -ne 2 ] || ! grep -Eq -- "$pat" "$tmp/out"; then
        fail "$what: exit $rc (want 2), output should match /$pat/:"
        sed 's/^/    /' "$tmp/out"
    else
        echo "ok: $what (exit 2)"
    fi
}
b=$tmp/bad.csv
expect2 "missing file" "nonexistent.csv: cannot open" "$tmp/nonexistent.csv"
: > "$b"
expect2 "empty file" "empty, no header" "$b"
printf 'algo,name,desc,status\nx,a:b,d,PASSED\n' > "$b"
expect2 "no median_ms column" 'no column "median_ms"' "$b"
sed '2s/,1.0,/,abc,/' "$fix" > "$b"
expect2 "bad median" 'bad.csv:2: column median_ms: "abc"' "$b"
sed '3s/,y,/,y,extra,/' "$fix" > "$b"
expect2 "field count" "bad.csv:3: 7 fields, the header has 6" "$b"
sed '3s/,y,/,x,/' "$fix" > "$b"
expect2 "duplicate algorithm row" "bad.csv:3: a second x row .* \(first on line 2\)" "$b"
# with directions: a second fwd (or bwd_d) row of an algorithm and layer is
# one too many; a fwd and a bwd_d row of them are not (the fixture)
sed '3s/^b,fwd,/a,fwd,/' "$dfix" > "$b"
expect2 "duplicate forward row with a dir column" \
    "bad.csv:3: a second a row .* \(first on line 2\): one timing per algorithm, direction and layer" "$b"
sed '7s/^b,bwd_d,/a,bwd_d,/' "$dfix" > "$b"
expect2 "duplicate bwd_d row" "bad.csv:7: a second a bwd_d row .* \(first on line 6\)" "$b"
sed '6s/,bwd_d,/,,/' "$dfix" > "$b"
expect2 "an empty dir cell is forward" "bad.csv:6: a second a row .* \(first on line 2\)" "$b"
sed '4s/,fwd,/,bwd_x,/' "$dfix" > "$b"
expect2 "unknown direction" 'bad.csv:4: column dir: "bwd_x" is not a direction' "$b"
sed '2s/netA:l1\*3,/netA:l1*0,/' "$fix" > "$b"
expect2 "repeat count 0" 'bad.csv:2: name "netA:l1\*0": repeat count' "$b"
awk -F, 'BEGIN { OFS = "," } NR == 1 { print $0 ",count"; next }
         NF == 0 { print; next }
         { print $0 "," (NR == 3 ? 2 : 1) }' "$fix" > "$b"
expect2 "counts disagree" "bad.csv:3: count 2 of .* differs from 1 on line 2" "$b"
sed '2s/,1.0,"g1mb1/,1.0,"g1mb1"x/' "$fix" > "$b"
expect2 "text after a closing quote" \
    "bad.csv:2: field 3 \(quoted from line 2\): text after the closing quote" "$b"
# The one CSV reader (out/csv_read.c) refuses a quote inside an unquoted
# field, in summary as in compare.
sed '3s/,y,/,y"z,/' "$fix" > "$b"
expect2 "stray quote" "bad.csv:3: field 4: stray quote in an unquoted field" "$b"
printf 'algo,name,desc,status,median_ms\nx,a:b,"d,PASSED,1\n' > "$b"
expect2 "unclosed quote" "bad.csv:2: quoted field never closed" "$b"
printf 'algo,name,desc,status,median_ms\nx,plain,d,PASSED,1\n' > "$b"
expect2 "no network names" "no problem is named NETWORK:LAYER" "$b"
expect2 "unknown option" "unknown option --bogus" "$fix" --bogus
expect2 "no CSV" "give a results CSV"
expect2 "two CSVs" "more than one CSV" "$fix" "$fix"
expect2 "--choice-out without a file" "needs a file" "$fix" --choice-out
expect2 "--networks unknown" "--networks nosuchset: .*neither a readable file" \
    "$fix" --networks nosuchset
printf 'mb1ic3ih5oc4kh3n"plain"\n' > "$tmp/plain.shapes"
expect2 "--networks without network names" "--networks: no problem is named" \
    "$fix" --networks "$tmp/plain.shapes"
expect2 "--choice-out unwritable" "cannot create $tmp/no/dir/c.csv" "$fix" \
    --choice-out "$tmp/no/dir/c.csv"

if [ "$failures" -ne 0 ]; then
    echo "test_summary: $failures check(s) failed"
    exit 1
fi
echo "test_summary: all checks passed"
