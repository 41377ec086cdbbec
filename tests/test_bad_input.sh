#!/usr/bin/env bash
# Every class of bad input: exit code 2, a message naming what is wrong, no
# crash, no hang, no half-written output.
set -u
cb=$1 data=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0

# expect CODE NEEDLE -- command...: exit code and a message containing NEEDLE
expect() {
    local code=$1 needle=$2; shift 3
    local err rc
    err=$(timeout 60 "$@" 2>&1 >/dev/null); rc=$?
    if [ "$rc" -eq "$code" ] && grep -qF -- "$needle" <<<"$err"; then
        pass=$((pass + 1))
    else
        echo "FAILED: $* -> exit $rc (want $code), message: $err (want '$needle')"
        fail=$((fail + 1))
    fi
}

# Descriptors.
expect 2 "unknown field 'xx'" -- "$cb" verify --desc ic3ih5oc4kh3xx2
expect 2 "ic=4 is not divisible by g=3" -- "$cb" verify --desc g3ic4ih5oc6kh3
expect 2 "kh: kernel extent" -- "$cb" verify --desc ic3ih5oc4kh9
expect 2 "ic: value is over" -- "$cb" verify --desc ic99999999999999999999ih5oc1kh1
expect 2 "oc: missing" -- "$cb" verify --desc ic3ih5kh3
expect 2 "sh: value 0" -- "$cb" verify --desc ic3ih5oc4kh3sh0
expect 2 "ic: negative" -- "$cb" verify --desc ic-3ih5oc4kh3
expect 2 "memory cap" -- "$cb" verify --desc mb256ic4096ih2048oc4096kh1
expect 2 "memory cap" -- "$cb" verify --desc ic64ih1024oc64kh3 --mb 1000000
expect 2 "n: name has no closing quote" -- "$cb" verify --desc 'ic3ih5oc4kh3n"x'
# Longer than the CSV's desc column: refused, not truncated.
expect 2 "longer than 255 characters" -- "$cb" verify --desc "$(printf '_%.0s' {1..250})ic3ih5oc4kh3"
expect 3 "3D problems" -- "$cb" exec --algo naive --desc mb1ic3id4ih4iw4oc4kd3kh3kw3 \
    --input "$tmp/x.npy" --weights "$tmp/w.npy" --output "$tmp/y.npy"
# 3D problems in verify are rows, not errors: exit 0.
if "$cb" verify --desc mb1ic3id4ih4iw4oc4kd3kh3kw3 --quiet >/dev/null 2>&1; then
    pass=$((pass + 1)); else echo "FAILED: 3D desc in verify"; fail=$((fail + 1)); fi

# Shape files.
printf 'mb1ic3ih5oc4kh3\nmb1ic3ih5oc4kh3zz1\n' > "$tmp/bad_field"
expect 2 "bad_field:2: bad descriptor: unknown field 'zz'" -- "$cb" verify --shapes "$tmp/bad_field"
printf '# only comments\n\n' > "$tmp/empty"
expect 2 "no problems" -- "$cb" verify --shapes "$tmp/empty"
head -c 300 /bin/ls > "$tmp/binary"
expect 2 "not a text shape file" -- "$cb" verify --shapes "$tmp/binary"
expect 2 "neither a readable file nor a set" -- "$cb" verify --shapes "$tmp/nonexistent"
printf 'mb1ic3ih5oc4kh3n"unterminated\n' > "$tmp/quote"
expect 2 "unterminated quote" -- "$cb" verify --shapes "$tmp/quote"
head -c 2000 /dev/zero | tr '\0' 'a' > "$tmp/long"
expect 2 "longer than" -- "$cb" verify --shapes "$tmp/long"

# Options.
expect 2 "unknown option '--frobnicate'" -- "$cb" verify --frobnicate
expect 2 "unknown command 'frob'" -- "$cb" frob
expect 2 "--threads: 'x' is not" -- "$cb" verify --threads x --desc ic3ih5oc4kh3
expect 2 "threads: '0' is not" -- "$cb" verify --threads 0 --desc ic3ih5oc4kh3
expect 2 "--fill: 'float' is not" -- "$cb" verify --fill float --desc ic3ih5oc4kh3
expect 2 "unknown algorithm 'nope'" -- "$cb" verify --algo nope --desc ic3ih5oc4kh3
expect 2 "--mb needs a value" -- "$cb" verify --mb
expect 2 "mb: '-1' is not" -- "$cb" verify --mb -1 --desc ic3ih5oc4kh3
expect 2 "--min-ms: 'abc'" -- "$cb" bench --min-ms abc --desc ic3ih5oc4kh3
expect 2 "--ci: '2'" -- "$cb" bench --ci 2 --desc ic3ih5oc4kh3
expect 2 "--ci: '-0.1'" -- "$cb" bench --ci -0.1 --desc ic3ih5oc4kh3
expect 2 "--max-ms: '0'" -- "$cb" bench --max-ms 0 --desc ic3ih5oc4kh3
expect 2 "--workspace-cap: '12Q'" -- "$cb" verify --workspace-cap 12Q --desc ic3ih5oc4kh3
expect 2 "no problems" -- "$cb" verify
expect 2 "cannot create" -- "$cb" verify --desc ic3ih5oc4kh3 --csv /nonexistent/dir/x.csv
expect 2 "exec: give exactly one --algo" -- "$cb" exec --desc ic3ih5oc4kh3 --input a --weights b --output c

# .npy files: the golden case seed_2d_pad1 is 1x1x3x3 input, 1x1x2x2 weights.
g=$data/golden/seed_2d_pad1
d='g1mb1ic1ih3iw3oc1oh4ow4kh2kw2sh1sw1ph1pw1dh0dw0'
run_exec=("$cb" exec --algo naive --desc "$d" --output "$tmp/y.npy")
expect 2 "cannot open" -- "${run_exec[@]}" --input "$tmp/missing.npy" --weights "$g/w.npy"
echo "not numpy at all" > "$tmp/text.npy"
expect 2 "not a .npy file" -- "${run_exec[@]}" --input "$tmp/text.npy" --weights "$g/w.npy"
head -c $(( $(stat -c %s "$g/x.npy") - 4 )) "$g/x.npy" > "$tmp/trunc.npy"
expect 2 "truncated data" -- "${run_exec[@]}" --input "$tmp/trunc.npy" --weights "$g/w.npy"
head -c 40 "$g/x.npy" > "$tmp/trunchdr.npy"
expect 2 "truncated header" -- "${run_exec[@]}" --input "$tmp/trunchdr.npy" --weights "$g/w.npy"
sed "s/'<f4'/'<f8'/" "$g/x.npy" > "$tmp/f64.npy"
expect 2 "dtype must be float32" -- "${run_exec[@]}" --input "$tmp/f64.npy" --weights "$g/w.npy"
sed "s/'fortran_order': False/'fortran_order': True /" "$g/x.npy" > "$tmp/fortran.npy"
expect 2 "C order" -- "${run_exec[@]}" --input "$tmp/fortran.npy" --weights "$g/w.npy"
expect 2 "does not match the descriptor" -- "${run_exec[@]}" --input "$g/w.npy" --weights "$g/w.npy"
# strtoull would read " -1" as 2^64 - 1: a malformed shape, not a mismatch.
sed "s/(1, 1, 3, 3)/(1,\t-1, 3, 3)/" "$g/x.npy" > "$tmp/negdim.npy"
expect 2 "malformed shape" -- "${run_exec[@]}" --input "$tmp/negdim.npy" --weights "$g/w.npy"
cp "$g/x.npy" "$tmp/extra.npy"; printf 'xxxx' >> "$tmp/extra.npy"
expect 2 "trailing bytes" -- "${run_exec[@]}" --input "$tmp/extra.npy" --weights "$g/w.npy"
expect 2 "does not match the descriptor" -- "${run_exec[@]}" --input "$g/x.npy" --weights "$g/w.npy" --bias "$g/x.npy"
# A failed exec leaves no output file behind, partial or otherwise.
if [ -e "$tmp/y.npy" ] || ls "$tmp"/y.npy.tmp* >/dev/null 2>&1; then
    echo "FAILED: failed exec left an output file"; fail=$((fail + 1))
else pass=$((pass + 1)); fi
# compare with missing files.
expect 2 "" -- "$cb" compare "$tmp/none.csv" "$tmp/none2.csv"

echo "bad input: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
